"""Transform engines and the model run: stage the lake's batches, then materialise every SQL model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from shopops._duck import first_row, sql_str_list
from shopops.errors import WarehouseError
from shopops.lake import Lake
from shopops.schema import TABLES, Table
from shopops.warehouse._models import load_models
from shopops.warehouse._operational import operational_sources, operational_tables

__all__ = ["DuckDBEngine", "Engine", "dim_date", "run_models", "source_sql"]


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


def _register(engine: Engine, lake: Lake, view: str, files: list[str]) -> None:
    """Expose lake Parquet files as a view: by path on local disk, as an Arrow dataset on object storage."""
    if lake.store is None:
        engine.register_parquet(view, files)
    elif isinstance(engine, DuckDBEngine):
        source = lake.scan(engine.con, view + "_ds", files)
        engine.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {source}")
    else:
        raise WarehouseError(
            f"the {engine.name} engine cannot read the lake at {lake.uri} from here; build with --engine duckdb"
        )


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
                _register(engine, lake, view, files)
                batch_views.append((view, batch.seq))
            superseded += [str(lake.root / rel) for rel in info.get("superseded_files", [])]
        superseded_view = None
        if superseded:
            superseded_view = f"_superseded_{name}"
            _register(engine, lake, superseded_view, superseded)
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
    models = load_models()
    # What the running system decided (operational store) is copied in for the models that declare it.
    for view, data in operational_tables(lake.data_dir, operational_sources([(m.name, m.sql) for m in models])).items():
        engine.load_arrow(view, data)
    names = []
    for model in models:
        step(model.name)
        engine.run(model.name, model.sql)
        names.append(model.name)
    return names
