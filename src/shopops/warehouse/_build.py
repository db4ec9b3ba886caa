"""Build the DuckDB warehouse from the lake by running the SQL model files."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from shopops._duck import connect, connect_limited, first_row
from shopops.config import Settings
from shopops.errors import WarehouseError
from shopops.lake import Batch, Lake
from shopops.schema import TABLES
from shopops.warehouse._engine import DuckDBEngine, run_models
from shopops.warehouse._models import models_fingerprint
from shopops.warehouse._reader import WAREHOUSE_FILE, read_meta

__all__ = ["BuildResult", "WarehouseStatus", "build_warehouse", "warehouse_is_current", "warehouse_status"]



@dataclass
class BuildResult:
    """What a warehouse build did."""

    path: Path
    engine: str
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


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
                f"to_json(r) AS row_json FROM {lake.scan(con, f'_quarantine_{name}', files, union_by_name=True)} AS r"
            )
    if parts:
        con.execute("CREATE OR REPLACE TABLE quarantine AS " + " UNION ALL ".join(parts))
    else:
        con.execute("CREATE OR REPLACE TABLE quarantine (table_name VARCHAR, _source_file VARCHAR, "
                    "_source_row BIGINT, _reason VARCHAR, _raw_text VARCHAR, row_json JSON)")


@dataclass(frozen=True)
class WarehouseStatus:
    """Whether the warehouse shows everything the lake holds.

    Attributes
    ----------
    exists : bool
        There is a warehouse to read.
    missing_batches : int
        Committed lake batches the warehouse was not built from (ingested after the last build, or
        whose build was interrupted).
    models_changed : bool
        The warehouse was built by other SQL models (another shopops version).
    building : bool
        A build's work file is there: a build is running, or one was killed before it finished.
    built_at : str or None
        When the warehouse was built (UTC, ISO 8601).
    """

    exists: bool
    missing_batches: int = 0
    models_changed: bool = False
    building: bool = False
    built_at: str | None = None

    @property
    def stale(self) -> bool:
        """The lake holds data the warehouse does not show (or was built by other models)."""
        return self.exists and (self.missing_batches > 0 or self.models_changed)

    def message(self) -> str | None:
        """What a reader of the answers must know, or None when the warehouse is current."""
        if not self.stale:
            return None
        why = []
        if self.missing_batches:
            why.append(f"{self.missing_batches} ingested batch{'es' if self.missing_batches > 1 else ''} "
                       "not in it yet")
        if self.models_changed:
            why.append("built by other SQL models")
        state = ("a build is running or was interrupted; " if self.building else "") + "run `shopops build`"
        return (f"the warehouse (built {self.built_at or 'at an unknown time'}) is older than the lake: "
                f"{', '.join(why)}; answers show the data as of that build ({state})")


def warehouse_status(data_dir: Path, meta: dict[str, str] | None = None) -> WarehouseStatus:
    """How the warehouse of ``data_dir`` compares with its lake; ``meta`` is the warehouse's, when at hand."""
    data_dir = Path(data_dir)
    path = data_dir / WAREHOUSE_FILE
    if not path.is_file():
        return WarehouseStatus(exists=False)
    if meta is None:
        try:
            with connect(str(path), read_only=True) as con:
                meta = read_meta(con)
        except duckdb.Error:
            meta = {}
    built = set(json.loads(meta.get("batches", "[]") or "[]"))
    missing = len(Lake(data_dir).batch_ids() - built)
    return WarehouseStatus(exists=True, missing_batches=missing,
                           models_changed=meta.get("models") != models_fingerprint(),
                           building=(data_dir / f"{WAREHOUSE_FILE}.building").exists(),
                           built_at=meta.get("built_at"))


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
    see either the old or the new warehouse, never a half-built one. A second build of the same
    data directory waits for the first (``on_step`` is told).

    Parameters
    ----------
    data_dir : Path
        The shopops data directory.
    settings : Settings or None
        Settings (memory limit, threads, Spark master).
    engine : str or None
        ``duckdb`` (default) or ``spark``: where the SQL models run. With Spark the executors write
        the models as Parquet (see :func:`~shopops.warehouse._spark.run_on_spark`) and the warehouse
        file holds views over them, so every reader works the same.
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
    with _build_lock(data_dir, step):
        return _build_locked(data_dir, settings, engine_name, step, started)


@contextlib.contextmanager
def _build_lock(data_dir: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold ``<data_dir>/.build.lock``: two builds of one data directory never share the work file.

    A lock of its own, not the lake's writer lock: :meth:`shopops.Shop.build` already holds that one
    around this call, and a second ``flock`` on it from the same process would wait for itself.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".build.lock").open("a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(f"waiting for another build of {data_dir} to finish")
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _served_spark_build(path: Path) -> str | None:
    """The Spark build folder the warehouse file ``path`` serves, if any."""
    if not path.is_file():
        return None
    try:
        with connect(str(path), read_only=True) as con:
            return read_meta(con).get("spark_build")
    except duckdb.Error:
        return None


def _build_locked(data_dir: Path, settings: Settings, engine_name: str, step: Callable[[str], None],
                  started: float) -> BuildResult:
    lake = Lake(data_dir)
    if engine_name == "spark" and lake.store is not None:
        raise WarehouseError(f"--engine spark cannot read the lake at {lake.uri} (Spark needs its own S3 connector, "
                             "hadoop-aws); build it with --engine duckdb")
    batches = lake.batches()
    final = data_dir / WAREHOUSE_FILE
    building = data_dir / f"{WAREHOUSE_FILE}.building"
    for leftover in (building, Path(str(building) + ".wal")):
        leftover.unlink(missing_ok=True)
    con = connect_limited(settings, data_dir, str(building))
    spark_build: str | None = None
    try:
        if engine_name == "spark":
            from shopops.warehouse._spark import run_on_spark

            names, spark_build = run_on_spark(con, lake, settings, step)
        else:
            names = run_models(DuckDBEngine(con), lake, step)
        _lake_tables(con, lake, batches)
        meta = {
            "batches": json.dumps([b.batch_id for b in batches]),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "engine": engine_name,
            "models": models_fingerprint(),
        }
        if spark_build is not None:
            meta["spark_build"] = spark_build
        con.register("_m", pa.table({"key": list(meta), "value": list(meta.values())}))
        con.execute("CREATE OR REPLACE TABLE _meta AS SELECT * FROM _m")
        con.unregister("_m")
        counts = {n: int(first_row(con, f"SELECT count(*) FROM {n}")[0]) for n in names}
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        con.close()
        building.unlink(missing_ok=True)
        _drop_spark_build(data_dir, spark_build)
        raise WarehouseError(f"warehouse build failed, the previous warehouse is unchanged: {exc}") from None
    except BaseException:
        con.close()
        building.unlink(missing_ok=True)
        _drop_spark_build(data_dir, spark_build)
        raise
    con.close()
    replaced = _served_spark_build(final)
    os.replace(building, final)
    from shopops.warehouse._spark import prune_spark_builds

    # The replaced file's build stays: a reader may still be finishing a query on it.
    prune_spark_builds(data_dir, {b for b in (spark_build, replaced) if b})
    return BuildResult(final, engine_name, counts, time.perf_counter() - started)


def _drop_spark_build(data_dir: Path, folder: str | None) -> None:
    if folder is not None:
        from shopops.warehouse._spark import SPARK_BUILDS

        shutil.rmtree(data_dir / SPARK_BUILDS / folder, ignore_errors=True)
