"""Run the warehouse's SQL models on Spark and copy the results into the DuckDB warehouse.

The models are the same DuckDB-dialect files the DuckDB engine runs; each one is transpiled with
sqlglot (``read="duckdb", write="spark"``) and materialised as a cached temp view, in the order
:func:`~shopops.warehouse._engine.run_models` gives. The results then travel to DuckDB as Arrow and
are written with exactly the column types the DuckDB engine would have produced, so every reader
of the warehouse works the same whichever engine built it.

``pyspark`` is an optional extra (``pip install 'shopops[spark]'``) and needs Java 17.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from shopops._duck import connect
from shopops._spark import apply_sql_conf, spark_session, to_spark_sql
from shopops._spark import java_available as _java_available  # noqa: F401  (tests ask it before a session)
from shopops.config import Settings
from shopops.errors import WarehouseError
from shopops.lake import Lake
from shopops.warehouse._engine import DuckDBEngine, run_models

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkEngine", "run_on_spark", "spark_session", "to_spark_sql"]

# Integer widenings accepted when a Spark column lands in the DuckDB type of the same model column
# (Spark's row_number() is INT where DuckDB's is BIGINT; DuckDB's sum(BIGINT) is HUGEINT).
_INT_RANK = {"TINYINT": 1, "SMALLINT": 2, "INTEGER": 3, "BIGINT": 4, "HUGEINT": 5}


def _build_session(spark: SparkSession) -> SparkSession:
    """A session of its own for one build: own temp views and SQL settings, shared SparkContext and cache."""
    try:
        session = spark.newSession()
    except Exception:  # Spark Connect may not support it: build in the shared session
        return spark
    apply_sql_conf(session)
    return session


class SparkEngine:
    """Run models in a SparkSession: every table is a cached temp view.

    Parameters
    ----------
    spark : SparkSession
        The session to run in (see :func:`spark_session`).
    on_arrow : callable or None
        Called with ``(name, table)`` for every table loaded from Arrow (``dim_date``), so the
        caller can keep a copy of it in the warehouse.
    """

    name = "spark"

    def __init__(self, spark: SparkSession, on_arrow: Callable[[str, pa.Table], None] | None = None) -> None:
        self.spark = spark
        self.on_arrow = on_arrow
        self.frames: dict[str, DataFrame] = {}
        self.views: list[str] = []

    def _view(self, name: str, df: DataFrame) -> None:
        df.createOrReplaceTempView(name)
        if name not in self.views:
            self.views.append(name)

    def _keep(self, name: str, df: DataFrame) -> None:
        old = self.frames.pop(name, None)
        if old is not None:
            old.unpersist()
        self.frames[name] = df
        self._view(name, df)

    def register_parquet(self, view: str, files: list[str]) -> None:
        """Expose Parquet files as temp view ``view``; their timestamps must come in as TIMESTAMP_NTZ."""
        from pyspark.sql.types import TimestampType

        df = self.spark.read.parquet(*files)
        shifted = [f.name for f in df.schema.fields if isinstance(f.dataType, TimestampType)]
        if shifted:
            raise WarehouseError(
                f"Spark reads the timestamp columns {shifted} of {files[0]} as TIMESTAMP with local "
                "time zone; set spark.sql.parquet.inferTimestampNTZ.enabled=true so they are read "
                "as TIMESTAMP_NTZ"
            )
        self._view(view, df)

    def run(self, name: str, sql: str, *, temporary: bool = False) -> None:
        """Transpile ``sql`` to Spark, run it and keep the result as cached temp view ``name``."""
        from pyspark import StorageLevel

        spark_sql = to_spark_sql(sql)
        df: DataFrame | None = None
        try:
            df = self.spark.sql(spark_sql).persist(StorageLevel.MEMORY_AND_DISK)
            # Materialise now: errors surface at the model that caused them, and later models
            # read the cache instead of recomputing the lineage.
            df.count()
        except Exception as exc:
            if df is not None:
                df.unpersist()
            raise WarehouseError(
                f"model {name!r} failed on Spark: {_first_lines(str(exc))}\nSQL sent to Spark:\n{spark_sql}"
            ) from None
        self._keep(name, df)

    def load_arrow(self, name: str, data: pa.Table) -> None:
        """Create cached temp view ``name`` from Arrow data (and hand the data to ``on_arrow``)."""
        self._keep(name, self.spark.createDataFrame(data).persist())
        if self.on_arrow is not None:
            self.on_arrow(name, data)

    def scalar(self, sql: str) -> Any:
        """First value of a query (DuckDB dialect), or None."""
        rows = self.spark.sql(to_spark_sql(sql)).take(1)
        return rows[0][0] if rows else None

    def to_arrow(self, name: str) -> pa.Table:
        """The rows of table ``name`` as Arrow (timestamps without time zone)."""
        table = self.frames[name].toArrow()
        for i, field in enumerate(table.schema):
            if pa.types.is_timestamp(field.type) and field.type.tz is not None:
                # Only a TIMESTAMP (LTZ) column gets here; keep its UTC wall clock, unshifted.
                naive = table.column(i).cast(pa.timestamp(field.type.unit))
                table = table.set_column(i, field.name, naive)
        return table

    def close(self) -> None:
        """Drop every view this engine created and free the cached data."""
        for df in self.frames.values():
            df.unpersist()
        for view in self.views:
            self.spark.catalog.dropTempView(view)
        self.frames.clear()
        self.views.clear()


def _first_lines(message: str, lines: int = 6) -> str:
    return "\n".join(message.strip().splitlines()[:lines])


def _duckdb_schemas() -> dict[str, list[tuple[str, str]]]:
    """Column names and types of every model as the DuckDB engine makes them (on an empty lake)."""
    with tempfile.TemporaryDirectory(prefix="shopops-schema-") as tmp, connect() as ref:
        names = run_models(DuckDBEngine(ref), Lake(Path(tmp)), lambda _m: None)
        return {name: [(str(r[0]), str(r[1])) for r in ref.execute(f"DESCRIBE {name}").fetchall()] for name in names}


def _compatible(got: str, want: str) -> bool:
    if got == want or got == '"NULL"' or got == "NULL":
        return True
    if got in _INT_RANK and want in _INT_RANK:
        return _INT_RANK[got] <= _INT_RANK[want]
    return got.startswith("DECIMAL") and (want == "DOUBLE" or want.startswith("DECIMAL"))


def _copy_to_duckdb(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table, columns: list[tuple[str, str]]) -> None:
    """Create table ``name`` in ``con`` from ``data``, with the DuckDB engine's column types."""
    view = "_spark_out"
    con.register(view, data)
    try:
        got = [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()]
        if [c for c, _ in got] != [c for c, _ in columns]:
            raise WarehouseError(
                f"model {name!r}: Spark returned the columns {[c for c, _ in got]}, DuckDB makes "
                f"{[c for c, _ in columns]}; the SQL was translated differently"
            )
        wrong = [
            f"{c} (Spark {g}, DuckDB {w})" for (c, g), (_, w) in zip(got, columns, strict=True) if not _compatible(g, w)
        ]
        if wrong:
            raise WarehouseError(
                f"model {name!r}: Spark gives other column types than DuckDB: {', '.join(wrong)}; "
                "cast them explicitly in the model SQL"
            )
        select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in columns)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {select} FROM {view}")
    finally:
        con.unregister(view)


def run_on_spark(
    con: duckdb.DuckDBPyConnection, lake: Lake, settings: Settings, step: Callable[[str], None]
) -> list[str]:
    """Run every SQL model on Spark and write the results into the DuckDB warehouse ``con``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The warehouse being built; gets one table per model (and ``dim_date``).
    lake : Lake
        The lake to read.
    settings : Settings
        ``spark_master`` says where Spark runs (default ``local[2]``).
    step : callable
        Called with the name of each step.

    Returns
    -------
    list of str
        The model names, in build order (as :func:`~shopops.warehouse._engine.run_models`).

    Raises
    ------
    WarehouseError
        When pyspark or Java is missing, or a model cannot be translated or run on Spark.
    """
    step("spark session")
    # A session of our own, so the temp views of a build never clash with the caller's or another build's.
    spark = _build_session(spark_session(settings))
    warehouse = DuckDBEngine(con)
    engine = SparkEngine(spark, on_arrow=warehouse.load_arrow)
    try:
        names = run_models(engine, lake, step)
        schemas = _duckdb_schemas()
        for name in names:
            step(f"copy {name}")
            if name not in schemas:
                raise WarehouseError(f"model {name!r} is not among the DuckDB models")
            _copy_to_duckdb(con, name, engine.to_arrow(name), schemas[name])
    finally:
        engine.close()
    return names
