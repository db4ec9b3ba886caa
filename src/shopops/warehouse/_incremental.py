"""Incremental build: append the events of new live-event micro-batches without running the models again.

Live events arrive as many small lake batches; rebuilding the whole warehouse for each would make
"every few minutes" impossible on a large shop. When every batch committed since the last build is a
live-event batch (adapter ``monitor``) and the SQL models are unchanged, the build copies the current
warehouse, inserts the new events into ``fact_live_event`` (the rows of its model, those whose
``event_id`` the table does not hold yet), refreshes the ingest report and the quarantine, and swaps
the file in with one rename, as a full build does. Anything else falls back to the full build.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from shopops._duck import connect, first_row
from shopops.config import Settings
from shopops.errors import WarehouseError
from shopops.lake import Lake
from shopops.warehouse._build import BuildResult, _lake_tables, build_warehouse
from shopops.warehouse._models import load_models, models_fingerprint
from shopops.warehouse._reader import WAREHOUSE_FILE, read_meta

__all__ = ["refresh_warehouse"]

_APPENDABLE = {"monitor": ("live_events", "fact_live_event")}  # adapter -> (lake table, model it appends to)


def refresh_warehouse(data_dir: Path, *, settings: Settings | None = None) -> BuildResult:
    """Bring the warehouse up to the lake: append new live events when that is all that changed, else build.

    Call it with the lake's writer lock held (as :meth:`shopops.Shop.build` does), so no batch lands meanwhile.

    Returns
    -------
    BuildResult
        ``engine`` is ``"incremental"`` when events were appended (``tables`` then counts the rows added).
    """
    data_dir = Path(data_dir)
    started = time.perf_counter()
    path = data_dir / WAREHOUSE_FILE
    lake = Lake(data_dir)
    batches = lake.batches()
    plan = _plan(path, [b.batch_id for b in batches], [b.adapter for b in batches])
    if plan is None:
        return build_warehouse(data_dir, settings=settings)
    new = batches[plan:]
    if not new:
        return BuildResult(path, "incremental", {}, time.perf_counter() - started)
    building = data_dir / f"{WAREHOUSE_FILE}.building"
    shutil.copyfile(path, building)
    added: dict[str, int] = {}
    try:
        con = connect(str(building))
        try:
            models = {m.name: m for m in load_models()}
            for table, model in set(_APPENDABLE.values()):
                files = [str(lake.root / rel) for b in new for rel in b.tables.get(table, {}).get("files", [])]
                if not files:
                    continue
                _materialise_view(con, model)
                before = int(first_row(con, f"SELECT count(*) FROM {model}")[0])
                con.execute(f"CREATE OR REPLACE TEMP VIEW stg_{table} AS SELECT * FROM "
                            f"{lake.scan(con, f'_new_{table}', files)}")
                con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS {models[model].sql}")
                con.execute(f"INSERT INTO {model} SELECT n.* FROM _new AS n "
                            f"WHERE NOT EXISTS (SELECT 1 FROM {model} AS f WHERE f.event_id = n.event_id)")
                added[model] = int(first_row(con, f"SELECT count(*) FROM {model}")[0]) - before
            _lake_tables(con, lake, batches)
            meta = {"batches": json.dumps([b.batch_id for b in batches]),
                    "built_at": datetime.now(UTC).isoformat(timespec="seconds"), "engine": "duckdb+incremental",
                    "models": models_fingerprint()}
            con.execute("DELETE FROM _meta WHERE key IN (SELECT unnest(?::VARCHAR[]))", [list(meta)])
            con.register("_m", pa.table({"key": list(meta), "value": list(meta.values())}))
            con.execute("INSERT INTO _meta SELECT * FROM _m")
            con.unregister("_m")
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except duckdb.Error as exc:
        building.unlink(missing_ok=True)
        raise WarehouseError(f"incremental build failed, the warehouse is unchanged: {exc}") from None
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    os.replace(building, path)
    return BuildResult(path, "incremental", added, time.perf_counter() - started)


def _materialise_view(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Turn view ``name`` (a Spark build's model over Parquet) into a table of its rows, to append to."""
    if con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]).fetchall()[0][0]:
        con.execute(f"CREATE TABLE _{name}_rows AS SELECT * FROM {name}")
        con.execute(f"DROP VIEW {name}")
        con.execute(f"ALTER TABLE _{name}_rows RENAME TO {name}")


def _plan(path: Path, batch_ids: list[str], adapters: list[str]) -> int | None:
    """How many batches the warehouse already holds, if only appendable batches came since; None: build fully."""
    if not path.is_file():
        return None
    try:
        with connect(str(path), read_only=True) as con:
            meta = read_meta(con)
    except duckdb.Error:
        return None
    built = json.loads(meta.get("batches", "null"))
    if meta.get("models") != models_fingerprint() or not isinstance(built, list):
        return None
    if batch_ids[:len(built)] != built:
        return None  # a batch the warehouse holds is gone or reordered
    if any(adapter not in _APPENDABLE for adapter in adapters[len(built):]):
        return None
    return len(built)
