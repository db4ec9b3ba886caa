"""Build the DuckDB warehouse from the lake by running the SQL model files."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from shopops._duck import connect, connect_limited, first_row, sql_str_list
from shopops.config import Settings
from shopops.errors import WarehouseError
from shopops.lake import Batch, Lake
from shopops.schema import TABLES, Table
from shopops.warehouse._models import load_models, models_fingerprint
from shopops.warehouse._reader import WAREHOUSE_FILE, read_meta

__all__ = ["BuildResult", "DuckDBEngine", "Engine", "build_warehouse", "dim_date", "run_models", "source_sql",
           "warehouse_is_current"]



@dataclass
class BuildResult:
    """What a warehouse build did."""

    path: Path
    engine: str
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Engine(Protocol):
    """What a transform engine must do; DuckDB and Spark implement it."""

    name: str

    def register_parquet(self, view: str, files: list[str]) -> None:
        """Expose Parquet files as a view."""

    def run(self, name: str, sql: str, *, temporary: bool = False) -> None:
        """Materialise ``sql`` (DuckDB dialect) as table ``name``."""

    def load_arrow(self, name: str, data: pa.Table) -> None:
        """Create table ``name`` from Arrow data."""

    def scalar(self, sql: str) -> Any:
        """First value of a query (DuckDB dialect)."""


def _empty_sql(table: Table) -> str:
    cols = ", ".join(f"CAST(NULL AS {c.duckdb_type}) AS {c.name}" for c in table.columns)
    return f"SELECT {cols} WHERE 1 = 0"


def source_sql(table: Table, batch_views: list[tuple[str, int]], superseded_view: str | None = None) -> str:
    """SQL of ``stg_<table>``: the union of its batches without the rows later batches replaced.

    Parameters
    ----------
    table : Table
        The canonical table.
    batch_views : list of (view, seq)
        One registered view per committed batch that holds the table, with its commit order.
    superseded_view : str or None
        A view of (key columns, ``_seq``) naming rows of batch ``_seq`` that a later batch
        replaced (written at ingest); None when no batch replaced anything.
    """
    cols = ", ".join(table.names)
    if not batch_views:
        return _empty_sql(table)
    if superseded_view is None:
        return " UNION ALL ".join(f"SELECT {cols} FROM {view}" for view, _ in batch_views)
    union = " UNION ALL ".join(f"SELECT {cols}, {seq} AS _seq FROM {view}" for view, seq in batch_views)
    match = " AND ".join(f"s.{k} IS NOT DISTINCT FROM u.{k}" for k in table.key)
    return (
        f"SELECT {cols} FROM ({union}) AS u "
        f"WHERE NOT EXISTS (SELECT 1 FROM {superseded_view} AS s WHERE s._seq = u._seq AND {match})"
    )


class DuckDBEngine:
    """Run models inside a DuckDB connection."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def register_parquet(self, view: str, files: list[str]) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet({sql_str_list(files)})")

    def run(self, name: str, sql: str, *, temporary: bool = False) -> None:
        # Temporary results (the stg_* staging of the lake) are views: they are scans of Parquet,
        # which DuckDB reads column by column where they are used; copying them costs more.
        kind = "TEMP VIEW" if temporary else "TABLE"
        self.con.execute(f"CREATE OR REPLACE {kind} {name} AS {sql}")

    def load_arrow(self, name: str, data: pa.Table) -> None:
        self.con.register("_arrow_in", data)
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _arrow_in")
        finally:
            self.con.unregister("_arrow_in")

    def scalar(self, sql: str) -> Any:
        row = first_row(self.con, sql)
        return row[0] if row else None


def dim_date(first: date, last: date) -> pa.Table:
    """The calendar from ``first`` to ``last``: ISO week, month, weekday, weekend flag."""
    days = (last - first).days + 1
    dates = [first + timedelta(days=i) for i in range(max(days, 0))]
    iso = [d.isocalendar() for d in dates]
    return pa.table({
        "date": pa.array(dates, pa.date32()),
        "year": pa.array([d.year for d in dates], pa.int32()),
        "quarter": pa.array([(d.month - 1) // 3 + 1 for d in dates], pa.int32()),
        "month": pa.array([d.month for d in dates], pa.int32()),
        "day": pa.array([d.day for d in dates], pa.int32()),
        "iso_year": pa.array([i[0] for i in iso], pa.int32()),
        "iso_week": pa.array([i[1] for i in iso], pa.int32()),
        "weekday": pa.array([i[2] for i in iso], pa.int32()),
        "is_weekend": pa.array([i[2] >= 6 for i in iso], pa.bool_()),
        "week_start": pa.array([d - timedelta(days=d.weekday()) for d in dates], pa.date32()),
        "month_start": pa.array([d.replace(day=1) for d in dates], pa.date32()),
    })


def _batch_views(lake: Lake, engine: Engine) -> dict[str, tuple[list[tuple[str, int]], str | None]]:
    views: dict[str, tuple[list[tuple[str, int]], str | None]] = {}
    for name in TABLES:
        batch_views: list[tuple[str, int]] = []
        superseded: list[str] = []
        for batch in lake.batches():
            info = batch.tables.get(name, {})
            files = [str(lake.root / rel) for rel in info.get("files", [])]
            if files:
                view = f"_src_{name}_{batch.seq}"
                engine.register_parquet(view, files)
                batch_views.append((view, batch.seq))
            superseded += [str(lake.root / rel) for rel in info.get("superseded_files", [])]
        superseded_view = None
        if superseded:
            superseded_view = f"_superseded_{name}"
            engine.register_parquet(superseded_view, superseded)
        views[name] = (batch_views, superseded_view)
    return views


def run_models(engine: Engine, lake: Lake, step: Callable[[str], None]) -> list[str]:
    """Create ``stg_*`` tables and every model in ``engine``; returns the model names."""
    views = _batch_views(lake, engine)
    for name, table in TABLES.items():
        step(f"stage {name}")
        batch_views, superseded_view = views[name]
        engine.run(f"stg_{name}", source_sql(table, batch_views, superseded_view), temporary=True)
    first = engine.scalar("SELECT CAST(min(ordered_at) AS DATE) FROM stg_order_lines")
    last = engine.scalar("SELECT CAST(max(ordered_at) AS DATE) FROM stg_order_lines")
    today = datetime.now(UTC).date()
    engine.load_arrow("dim_date", dim_date(first or today, last or today))
    names = []
    for model in load_models():
        step(model.name)
        engine.run(model.name, model.sql)
        names.append(model.name)
    return names


def _lake_tables(con: duckdb.DuckDBPyConnection, lake: Lake, batches: list[Batch]) -> None:
    """Ingest history, data-quality reports and the quarantine, for the dashboard and `shopops quality`."""
    rows = []
    for b in batches:
        for table, rep in b.report.items():
            rows.append({
                "batch_id": b.batch_id, "seq": b.seq, "committed_at": b.committed_at, "adapter": b.adapter,
                "source": ", ".join(f["path"] for f in b.source.get("files", [])), "table_name": table,
                "rows_in": rep.get("rows_in", 0), "rows_ok": rep.get("rows_ok", 0),
                "rows_quarantined": rep.get("rows_quarantined", 0),
                "report": json.dumps(rep, default=str),
            })
    schema = pa.schema([("batch_id", pa.string()), ("seq", pa.int64()), ("committed_at", pa.string()),
                        ("adapter", pa.string()), ("source", pa.string()), ("table_name", pa.string()),
                        ("rows_in", pa.int64()), ("rows_ok", pa.int64()), ("rows_quarantined", pa.int64()),
                        ("report", pa.string())])
    con.register("_ingests", pa.Table.from_pylist(rows, schema=schema))
    con.execute("CREATE OR REPLACE TABLE ingest_report AS SELECT * FROM _ingests")
    con.unregister("_ingests")
    parts = []
    for name in TABLES:
        files = [str(p) for p, _ in lake.files("quarantine", name)]
        if files:
            parts.append(
                f"SELECT '{name}' AS table_name, _source_file, _source_row, _reason, _raw_text, "
                f"to_json(r) AS row_json FROM read_parquet({sql_str_list(files)}, union_by_name = true) AS r"
            )
    if parts:
        con.execute("CREATE OR REPLACE TABLE quarantine AS " + " UNION ALL ".join(parts))
    else:
        con.execute("CREATE OR REPLACE TABLE quarantine (table_name VARCHAR, _source_file VARCHAR, "
                    "_source_row BIGINT, _reason VARCHAR, _raw_text VARCHAR, row_json JSON)")


def warehouse_is_current(data_dir: Path) -> bool:
    """True when the warehouse was built from exactly the lake's committed batches by these models."""
    path = Path(data_dir) / WAREHOUSE_FILE
    if not path.is_file():
        return False
    wanted = [b.batch_id for b in Lake(Path(data_dir)).batches()]
    try:
        with connect(str(path), read_only=True) as con:
            meta = read_meta(con)
    except duckdb.Error:
        return False
    # A warehouse built by an older shopops lacks the models added since (or has old versions).
    return json.loads(meta.get("batches", "null")) == wanted and meta.get("models") == models_fingerprint()


def build_warehouse(
    data_dir: Path,
    *,
    settings: Settings | None = None,
    engine: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build ``<data_dir>/warehouse.duckdb`` from the lake, atomically.

    The new warehouse is written next to the old one and swapped in with one rename, so readers
    see either the old or the new warehouse, never a half-built one.

    Parameters
    ----------
    data_dir : Path
        The shopops data directory.
    settings : Settings or None
        Settings (memory limit, threads, Spark master).
    engine : str or None
        ``duckdb`` (default) or ``spark``: where the SQL models run. With Spark the results are
        written into the same DuckDB warehouse file, so every reader works the same.
    on_step : callable or None
        Called with the name of each step.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    engine_name = engine or settings.engine
    if engine_name not in ("duckdb", "spark"):
        raise WarehouseError(f"unknown engine {engine_name!r}; use 'duckdb' or 'spark'")
    step = on_step or (lambda _m: None)
    data_dir = Path(data_dir)
    lake = Lake(data_dir)
    batches = lake.batches()
    final = data_dir / WAREHOUSE_FILE
    building = data_dir / f"{WAREHOUSE_FILE}.building"
    for leftover in (building, Path(str(building) + ".wal")):
        leftover.unlink(missing_ok=True)
    con = connect_limited(settings, data_dir, str(building))
    try:
        if engine_name == "spark":
            from shopops.warehouse._spark import run_on_spark

            names = run_on_spark(con, lake, settings, step)
        else:
            names = run_models(DuckDBEngine(con), lake, step)
        _lake_tables(con, lake, batches)
        meta = {
            "batches": json.dumps([b.batch_id for b in batches]),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "engine": engine_name,
            "models": models_fingerprint(),
        }
        con.register("_m", pa.table({"key": list(meta), "value": list(meta.values())}))
        con.execute("CREATE OR REPLACE TABLE _meta AS SELECT * FROM _m")
        con.unregister("_m")
        counts = {n: int(first_row(con, f"SELECT count(*) FROM {n}")[0]) for n in names}
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        con.close()
        building.unlink(missing_ok=True)
        raise WarehouseError(f"warehouse build failed, the previous warehouse is unchanged: {exc}") from None
    except BaseException:
        con.close()
        building.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(building, final)
    return BuildResult(final, engine_name, counts, time.perf_counter() - started)
