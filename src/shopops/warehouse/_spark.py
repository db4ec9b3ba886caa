"""Run the warehouse's SQL models on Spark; the executors write them as Parquet, DuckDB serves them.

The models are the same DuckDB-dialect files the DuckDB engine runs; each one is transpiled with
sqlglot (``read="duckdb", write="spark"``) and run in the order :func:`~shopops.warehouse._engine.run_models`
gives. Spark's executors write each model as Parquet under the data directory as soon as it is run,
and later models read it back from there (so no model is cached and no shuffle outlives its model).
A manifest commits the build, and the DuckDB warehouse file gets
views over those files that cast to exactly the column types the DuckDB engine would have produced,
so every reader of the warehouse works the same whichever engine built it. No model's rows pass
through the driver.

``pyspark`` is an optional extra (``pip install 'shopops[spark]'``) and needs Java 17.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from shopops._duck import connect, sql_str_list
from shopops._spark import apply_sql_conf, spark_session, tidy_hadoop_files, to_spark_sql
from shopops._spark import java_available as _java_available  # noqa: F401  (tests ask it before a session)
from shopops.config import Settings
from shopops.errors import WarehouseError
from shopops.lake import Lake
from shopops.warehouse._engine import DuckDBEngine, run_models

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["MANIFEST", "SPARK_BUILDS", "SparkEngine", "prune_spark_builds", "read_manifest", "run_on_spark",
           "spark_session", "to_spark_sql"]

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
    """Run models in a SparkSession; each model is written as Parquet by the executors and read back.

    Parameters
    ----------
    spark : SparkSession
        The session to run in (see :func:`spark_session`).
    out : Path
        The build's folder: a model goes to ``out/<model>/``, a temporary one (staging) to
        ``out/_scratch/<model>/``.
    on_arrow : callable or None
        Called with ``(name, table)`` for every table loaded from Arrow (``dim_date``), so the
        caller can keep a copy of it in the warehouse.

    Notes
    -----
    Materialising a model as files rather than caching it keeps an executor's needs to one task's:
    cached in memory, the models of a 40 M-line shop ran 1 GiB and 3 GiB executors out of heap; cached
    on disk, they kept every shuffle of the build alive (a cached frame's lineage holds its shuffles),
    52 GB of local disk and growing. Read back from Parquet, a model's lineage starts at its files, so
    Spark's cleaner drops the shuffles that made it, and a lost executor costs a re-read, not a rerun.
    """

    name = "spark"

    def __init__(self, spark: SparkSession, out: Path,
                 on_arrow: Callable[[str, pa.Table], None] | None = None) -> None:
        self.spark = spark
        self.out = out
        self.on_arrow = on_arrow
        self.frames: dict[str, DataFrame] = {}
        self.views: list[str] = []
        #: per written model, the columns Spark typed NULL (written as strings, see :func:`_write_model`)
        self.untyped: dict[str, list[str]] = {}
        self.written: list[str] = []

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
        """Transpile ``sql`` to Spark, write the result as Parquet and make it temp view ``name``."""
        from pyspark.sql import functions as sf

        spark_sql = to_spark_sql(sql)
        folder = self.out / "_scratch" if temporary else self.out
        try:
            df = self.spark.sql(spark_sql)
        except Exception as exc:
            raise WarehouseError(
                f"model {name!r} failed on Spark: {_first_lines(str(exc))}\nSQL sent to Spark:\n{spark_sql}"
            ) from None
        # Written now: errors surface at the model that caused them, and later models read the files
        # instead of recomputing the lineage.
        untyped = _write_model(df, name, folder, partition=not temporary, sql=spark_sql)
        if any((folder / name).rglob("part-*.parquet")):
            back = self.spark.read.parquet(str(folder / name))  # a partitioned model adds `_month`: not selected
        else:  # no rows, no file to read a schema from
            back = self.spark.createDataFrame([], df.schema)
        # Back as the model made them: NULL-typed columns (stored as strings) NULL-typed again.
        back = back.select(*[sf.lit(None).alias(c) if c in untyped else sf.col(f"`{c}`") for c in df.columns])
        if not temporary:
            self.untyped[name] = untyped
            self.written.append(name)
        self._keep(name, back)
        _collect_garbage(self.spark)

    def load_arrow(self, name: str, data: pa.Table) -> None:
        """Create cached temp view ``name`` from Arrow data (and hand the data to ``on_arrow``)."""
        self._keep(name, self.spark.createDataFrame(data).persist())
        if self.on_arrow is not None:
            self.on_arrow(name, data)

    def scalar(self, sql: str) -> Any:
        """First value of a query (DuckDB dialect), or None."""
        rows = self.spark.sql(to_spark_sql(sql)).take(1)
        return rows[0][0] if rows else None

    def close(self) -> None:
        """Drop every view this engine created, free the cached data and remove the scratch files."""
        for df in self.frames.values():
            df.unpersist()
        for view in self.views:
            self.spark.catalog.dropTempView(view)
        self.frames.clear()
        shutil.rmtree(self.out / "_scratch", ignore_errors=True)
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


SPARK_BUILDS = Path("warehouse") / "spark"
"""Where Spark builds are written, under the data directory: ``build=<id>/<model>/part-*.parquet``."""

MANIFEST = "_manifest.json"
"""A build's commit file; a build folder without it is unfinished and never served."""

#: Big models written in one folder per month of this date column (``_month=YYYY-MM-01``).
_PARTITION_BY = {"fact_order_line": "order_date", "fact_order": "order_date", "fact_demand_day": "day",
                 "fact_event": "ts", "fact_inventory": "date"}


def _collect_garbage(spark: SparkSession) -> None:
    """Let the driver's JVM collect now, so Spark's cleaner deletes the shuffle files no frame refers to.

    The cleaner acts on garbage-collected references only, and a driver with a roomy heap may not
    collect for a long time (Spark's periodic collection is every 30 minutes) while the shuffles of
    every model so far fill the executors' disks.
    """
    with contextlib.suppress(Exception):  # Spark Connect has no JVM on this side
        spark.sparkContext._jvm.System.gc()  # type: ignore[union-attr]


def _write_model(df: DataFrame, name: str, out: Path, *, partition: bool = True, sql: str = "") -> list[str]:
    """Write one model as Parquet from the executors; returns the names of its columns Spark typed NULL.

    Timestamps with local time zone become TIMESTAMP_NTZ (the UTC wall clock, the session's time zone),
    so DuckDB reads them as TIMESTAMP; NULL-typed columns (Parquet has no such type) are written as
    strings and cast on the DuckDB side.
    """
    from pyspark.sql import functions as sf
    from pyspark.sql.types import NullType, TimestampNTZType, TimestampType

    untyped: list[str] = []
    cols = []
    for f in df.schema.fields:
        col = sf.col(f"`{f.name}`")
        if isinstance(f.dataType, TimestampType):
            col = col.cast(TimestampNTZType())
        elif isinstance(f.dataType, NullType):
            col = col.cast("string")
            untyped.append(f.name)
        cols.append(col.alias(f.name))
    typed = df.select(*cols)
    by = _PARTITION_BY.get(name) if partition else None
    if by is not None and by in df.columns:
        # One task per month writes that month's folder; DuckDB reads the files without the folder column.
        month = sf.date_format(sf.date_trunc("month", sf.col(by)), "yyyy-MM-dd")
        typed = typed.withColumn("_month", month).repartition("_month")
        writer = typed.write.mode("errorifexists").option("compression", "zstd").partitionBy("_month")
    else:
        writer = typed.write.mode("errorifexists").option("compression", "zstd")
    try:
        writer.parquet(str(out / name))
    except Exception as exc:
        shown = f"\nSQL sent to Spark:\n{sql}" if sql else ""
        raise WarehouseError(f"model {name!r} failed on Spark (writing {out / name}): "
                             f"{_first_lines(str(exc))}{shown}") from None
    tidy_hadoop_files(out / name)
    return untyped



def _model_files(out: Path, name: str) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in (out / name).rglob("part-*.parquet"))


def _checked_columns(con: duckdb.DuckDBPyConnection, name: str, files: list[str],
                     columns: list[tuple[str, str]], untyped: list[str]) -> None:
    """Check that the Parquet Spark wrote for ``name`` has the DuckDB model's columns, in types that cast losslessly."""
    if not files:
        return
    got = [(str(r[0]), str(r[1])) for r in con.execute(
        f"DESCRIBE SELECT * FROM read_parquet({sql_str_list(files)}, hive_partitioning = false)").fetchall()]
    if [c for c, _ in got] != [c for c, _ in columns]:
        raise WarehouseError(
            f"model {name!r}: Spark returned the columns {[c for c, _ in got]}, DuckDB makes "
            f"{[c for c, _ in columns]}; the SQL was translated differently"
        )
    wrong = [f"{c} (Spark {g}, DuckDB {w})" for (c, g), (_, w) in zip(got, columns, strict=True)
             if c not in untyped and not _compatible(g, w)]
    if wrong:
        raise WarehouseError(
            f"model {name!r}: Spark gives other column types than DuckDB: {', '.join(wrong)}; "
            "cast them explicitly in the model SQL"
        )


def _view_sql(name: str, files: list[str], columns: list[tuple[str, str]]) -> str:
    """A view giving the model's rows with exactly the DuckDB engine's column types."""
    if not files:  # a model without rows (e.g. no web events): typed NULLs, since there is no column to cast
        empty = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t in columns)
        return f"CREATE OR REPLACE VIEW {name} AS SELECT {empty} WHERE false"
    select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in columns)
    return (f"CREATE OR REPLACE VIEW {name} AS SELECT {select} "
            f"FROM read_parquet({sql_str_list(files)}, hive_partitioning = false)")


def _write_manifest(out: Path, build_id: str, tables: dict[str, Any]) -> None:
    """Write the build's commit file atomically (temporary file, fsync, rename, fsync of the folder)."""
    tmp = out / f".{MANIFEST}.tmp"
    with tmp.open("w") as fh:
        json.dump({"build": build_id, "format": "parquet", "tables": tables}, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out / MANIFEST)
    fd = os.open(out, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(build_dir: Path) -> dict[str, Any] | None:
    """The manifest of a Spark build folder, or None when the build never committed."""
    try:
        with (build_dir / MANIFEST).open() as fh:
            data: dict[str, Any] = json.load(fh)
    except FileNotFoundError:
        return None
    return data


def prune_spark_builds(data_dir: Path, keep: set[str]) -> list[Path]:
    """Delete the Spark build folders of ``data_dir`` other than ``keep`` (build folder names); returns them.

    Call it with the build lock held, after the new warehouse is swapped in: ``keep`` holds the builds
    the new and the replaced warehouse file reference (a reader may still be finishing a query on the
    replaced one). Unfinished builds (no manifest) are deleted too.
    """
    root = Path(data_dir) / SPARK_BUILDS
    removed = []
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            if folder.is_dir() and folder.name.startswith("build=") and folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def run_on_spark(
    con: duckdb.DuckDBPyConnection, lake: Lake, settings: Settings, step: Callable[[str], None]
) -> tuple[list[str], str]:
    """Run every SQL model on Spark, have the executors write them as Parquet, and serve them from ``con``.

    Every model is written under ``<data_dir>/warehouse/spark/build=<id>/<model>/`` by Spark's
    executors (the big facts in one folder per month); nothing but counts reaches the driver. The
    build's manifest (``_manifest.json``: every model's files, DuckDB column types and row count) is
    written last, atomically. ``con`` then gets one view per model over the manifest's files that casts
    to the DuckDB engine's column types, plus ``dim_date`` and the operational copies as tables, so
    every reader of the warehouse works the same whichever engine built it.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The warehouse being built.
    lake : Lake
        The lake to read.
    settings : Settings
        ``spark_master`` says where Spark runs (default ``local[2]``).
    step : callable
        Called with the name of each step.

    Returns
    -------
    (list of str, str)
        The model names in build order (as :func:`~shopops.warehouse._engine.run_models`) and the
        build folder's name (``build=<id>``), which the warehouse's ``_meta`` records as ``spark_build``.

    Raises
    ------
    WarehouseError
        When pyspark or Java is missing, or a model cannot be translated, run or written on Spark.
        The unfinished build folder is deleted.
    """
    step("spark session")
    # A session of our own, so the temp views of a build never clash with the caller's or another build's.
    spark = _build_session(spark_session(settings))
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    folder = f"build={build_id}"
    out = lake.data_dir / SPARK_BUILDS / folder
    out.mkdir(parents=True)
    warehouse = DuckDBEngine(con)
    engine = SparkEngine(spark, out, on_arrow=warehouse.load_arrow)
    try:
        names = run_models(engine, lake, step)
        schemas = _duckdb_schemas()
        tables: dict[str, Any] = {}
        for name in names:
            if name not in schemas:
                raise WarehouseError(f"model {name!r} is not among the DuckDB models")
            files = _model_files(out, name)
            _checked_columns(con, name, [str(out / f) for f in files], schemas[name], engine.untyped[name])
            tables[name] = {"files": files, "columns": schemas[name],
                            "partitioned_by": _PARTITION_BY.get(name)}
        _write_manifest(out, build_id, tables)
        manifest = read_manifest(out) or {}
        for name, info in manifest["tables"].items():
            con.execute(_view_sql(name, [str(out / f) for f in info["files"]],
                                  [(str(c), str(t)) for c, t in info["columns"]]))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        engine.close()
    return names, folder
