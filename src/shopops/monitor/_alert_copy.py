"""Alert history into the lake, so the warehouse (``fact_alert``) and the dashboards can query it.

Alerts live and change in the operational store (fired, acknowledged, resolved). A copy takes the
alerts whose state changed since the last copy and lands them as one lake batch (table
``live_alerts``, one row per alert and state); the warehouse model keeps each alert's latest state.
Copying only what changed keeps the lake small, and copying again after a crash changes nothing.
"""

from __future__ import annotations

import secrets
import time

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shopops.lake import Lake
from shopops.monitor._alerts import ensure_tables
from shopops.opstore import OperationalStore
from shopops.schema import TABLES

__all__ = ["ALERT_ADAPTER", "copy_alerts"]

ALERT_ADAPTER = "monitor-alerts"
_TABLE = "live_alerts"
_TIMES = ("condition_since", "fired_at", "acked_at", "resolved_at")
_COMPARED = ("state", "last_value", "expected", "p_value", "summary", "silenced", *_TIMES, "acked_by")


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601").dt.tz_localize(None)


def copy_alerts(lake: Lake, store: OperationalStore) -> int:
    """Land the alerts whose state changed since the last copy; returns how many rows were landed."""
    ensure_tables(store)
    alerts = store.frame("SELECT * FROM monitor_alert ORDER BY alert_id")
    schema = TABLES[_TABLE].arrow_schema()
    if alerts.empty:
        return 0
    rows = pd.DataFrame({
        "alert_id": alerts["alert_id"].astype("int64"), "rule": alerts["rule"], "kpi": alerts["kpi"],
        "severity": alerts["severity"], "alert_group": alerts["grp"], "state": alerts["state"],
        **{name: _utc(alerts[name]) for name in _TIMES},
        "last_value": alerts["last_value"].astype("float64"), "expected": alerts["expected"].astype("float64"),
        "p_value": alerts["p_value"].astype("float64"), "summary": alerts["summary"],
        "silenced": alerts["silenced"].astype(bool), "acked_by": alerts["acked_by"],
    })
    with lake.writer_lock():
        copied = [lake.root / rel for b in lake.batches() if b.adapter == ALERT_ADAPTER
                  for rel in b.tables.get(_TABLE, {}).get("files", [])]
        if copied:
            before = pa.concat_tables([pq.read_table(str(p), filesystem=lake.fs) for p in copied]).to_pandas()
            latest = before.sort_values("copied_at").drop_duplicates("alert_id", keep="last")
            merged = rows.merge(latest[["alert_id", *_COMPARED]], on="alert_id", how="left", suffixes=("", "_was"),
                                indicator=True)
            changed = merged["_merge"] == "left_only"
            for name in _COMPARED:
                now, was = merged[name], merged[f"{name}_was"]
                changed |= ~((now == was) | (now.isna() & was.isna()))
            rows = rows[changed.to_numpy()]
        if rows.empty:
            return 0
        received = time.time()
        rows = rows.assign(copied_at=pd.Timestamp(received, unit="s").floor("us"))
        table = pa.Table.from_pandas(rows[schema.names], schema=schema, preserve_index=False)
        batch_id = f"alerts-{time.strftime('%Y%m%dT%H%M%S', time.gmtime(received))}-{secrets.token_hex(4)}"
        staging = lake.staging_dir(batch_id)
        (staging / "clean" / _TABLE).mkdir(parents=True)
        pq.write_table(table, staging / "clean" / _TABLE / "part-0.parquet", compression="zstd")
        lake.commit(staging, batch_id=batch_id, source={"transport": "opstore"}, adapter=ALERT_ADAPTER,
                    tables={_TABLE: {"clean_rows": table.num_rows, "quarantined_rows": 0}},
                    report={_TABLE: {"rows_in": table.num_rows, "rows_ok": table.num_rows, "rows_quarantined": 0}})
    return int(table.num_rows)
