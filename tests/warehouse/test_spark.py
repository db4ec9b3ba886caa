"""The Spark engine builds the same warehouse as the DuckDB engine, on the real Online Retail data."""

from __future__ import annotations

import importlib.util
import math
import shutil
import sys
import types
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from shopops.config import Settings
from shopops.errors import WarehouseError
from shopops.warehouse import BuildResult, build_warehouse, load_models

DATA = Path(__file__).parents[2].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"


def _why_no_spark() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'shopops[spark]')"
    from shopops.warehouse._spark import _java_available

    if not _java_available():
        return "Java 17 is not available (no `java` on PATH, JAVA_HOME not set)"
    return None


NO_SPARK = _why_no_spark()
needs_spark = pytest.mark.skipif(NO_SPARK is not None, reason=NO_SPARK or "")
# The first Spark test starts the JVM and builds both warehouses (about a minute on 2 cores).

#: Tables compared row by row, with the columns that identify a row.
KEYS = {
    "kpi_period": ("grain", "period_start"),
    "kpi_product_month": ("month", "product_id"),
    "kpi_category_month": ("month", "category"),
    "dim_product": ("product_id",),
    "dim_customer": ("customer_id",),
    "fact_order": ("order_id",),
    "dim_date": ("date",),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> tuple[BuildResult, BuildResult]:
    """Online Retail ingested once, then built by DuckDB (dir ``duckdb``) and by Spark (dir ``spark``)."""
    from shopops.ingest.pipeline import ingest

    if not DATA.is_file():
        pytest.skip(f"real data not found at {DATA}")
    base = tmp_path_factory.mktemp("engines")
    dir_a, dir_b = base / "duckdb", base / "spark"
    ingest(dir_a, DATA)  # the library ingest commits to the lake only
    shutil.copytree(dir_a, dir_b)
    return build_warehouse(dir_a, engine="duckdb"), build_warehouse(dir_b, engine="spark")


@pytest.fixture(scope="module")
def both(built: tuple[BuildResult, BuildResult]) -> Iterator[duckdb.DuckDBPyConnection]:
    """One DuckDB connection with the DuckDB warehouse attached as ``a`` and the Spark one as ``b``."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{built[0].path}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{built[1].path}' AS b (READ_ONLY)")
    yield con
    con.close()


def _columns(con: duckdb.DuckDBPyConnection, db: str, table: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_catalog = '{db}' AND table_name = '{table}' ORDER BY ordinal_position"
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _same(u: object, v: object) -> bool:
    if isinstance(u, float) and isinstance(v, float):
        # Sums run in another order on each engine; abs_tol covers amounts that cancel to zero.
        return math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9)
    return type(u) is type(v) and u == v


@needs_spark
@pytest.mark.spark
@pytest.mark.slow
def test_spark_builds_every_model_with_the_same_row_counts(built: tuple[BuildResult, BuildResult]) -> None:
    duck, spark = built
    assert spark.engine == "spark"
    assert list(spark.tables) == [m.name for m in load_models()] == list(duck.tables)
    assert spark.tables == duck.tables
    assert duck.tables["fact_order_line"] > 500_000


@needs_spark
@pytest.mark.spark
@pytest.mark.slow
def test_spark_warehouse_has_the_duckdb_column_types(both: duckdb.DuckDBPyConnection) -> None:
    for table in [*(m.name for m in load_models()), "dim_date"]:
        assert _columns(both, "b", table) == _columns(both, "a", table), table
    assert dict(_columns(both, "b", "fact_order_line"))["ordered_at"] == "TIMESTAMP"
    assert dict(_columns(both, "b", "fact_order_line"))["order_date"] == "DATE"
    meta = dict(both.execute("SELECT key, value FROM b._meta").fetchall())
    assert meta["engine"] == "spark"


@needs_spark
@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("table", list(KEYS))
def test_spark_rows_equal_duckdb_rows(both: duckdb.DuckDBPyConnection, table: str) -> None:
    order = ", ".join(KEYS[table])
    rows_a = both.execute(f"SELECT * FROM a.{table} ORDER BY {order}").fetchall()
    rows_b = both.execute(f"SELECT * FROM b.{table} ORDER BY {order}").fetchall()
    assert len(rows_a) == len(rows_b) > 0
    names = [c for c, _ in _columns(both, "a", table)]
    bad = [
        (row_a[: len(KEYS[table])], name, u, v)
        for row_a, row_b in zip(rows_a, rows_b, strict=True)
        for name, u, v in zip(names, row_a, row_b, strict=True)
        if not _same(u, v)
    ]
    assert not bad, f"{len(bad)} values differ, e.g. {bad[:5]}"


@needs_spark
@pytest.mark.spark
@pytest.mark.slow
def test_spark_order_lines_are_identical(both: duckdb.DuckDBPyConnection) -> None:
    """No aggregation in fact_order_line, so every value must match exactly (timestamps unshifted)."""
    cols = [c for c, _ in _columns(both, "a", "fact_order_line")]
    differs = " OR ".join(f"x.{c} IS DISTINCT FROM y.{c}" for c in cols)
    n = both.execute(
        "SELECT count(*) FROM a.fact_order_line AS x FULL JOIN b.fact_order_line AS y "
        f"ON x.order_id = y.order_id AND x.line_no = y.line_no WHERE {differs}"
    ).fetchall()[0][0]
    assert n == 0
    first, last = both.execute("SELECT min(ordered_at), max(ordered_at) FROM b.fact_order_line").fetchall()[0]
    assert (first, last) == (datetime(2010, 12, 1, 8, 26), datetime(2011, 12, 9, 12, 50))


@needs_spark
@pytest.mark.spark
@pytest.mark.slow
def test_spark_model_error_names_the_model(spark: Any) -> None:
    from shopops.warehouse._spark import SparkEngine

    engine = SparkEngine(spark)
    try:
        with pytest.raises(WarehouseError, match="model 'broken' failed on Spark"):
            engine.run("broken", "SELECT no_such_column FROM (SELECT 1 AS x) AS t")
    finally:
        engine.close()


def test_every_model_transpiles_to_spark() -> None:
    from shopops.warehouse._spark import to_spark_sql

    for model in load_models():
        assert to_spark_sql(model.sql).strip(), model.name
    with pytest.raises(WarehouseError, match="cannot translate"):
        to_spark_sql("SELECT FROM WHERE (")


def test_missing_pyspark_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from shopops.lake import Lake
    from shopops.warehouse._spark import run_on_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with duckdb.connect() as con, pytest.raises(WarehouseError, match=r"pip install 'shopops\[spark\]'"):
        run_on_spark(con, Lake(tmp_path), Settings(), lambda _m: None)


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from shopops.warehouse._spark import spark_session

    class NoSession:
        @staticmethod
        def getActiveSession() -> None:  # noqa: N802 - pyspark's name
            return None

    fake = types.ModuleType("pyspark.sql")
    fake.SparkSession = NoSession  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyspark", types.ModuleType("pyspark"))
    monkeypatch.setitem(sys.modules, "pyspark.sql", fake)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(WarehouseError, match="Java 17"):
        spark_session(Settings())


@needs_spark
@pytest.mark.spark
@pytest.mark.slow
def test_spark_models_are_views_over_the_committed_build(built: tuple[BuildResult, BuildResult],
                                                         both: duckdb.DuckDBPyConnection) -> None:
    from shopops.warehouse._spark import SPARK_BUILDS, read_manifest

    spark_dir = built[1].path.parent
    folder = dict(both.execute("SELECT key, value FROM b._meta").fetchall())["spark_build"]
    manifest = read_manifest(spark_dir / SPARK_BUILDS / folder)
    assert manifest is not None and set(manifest["tables"]) == set(built[1].tables)
    kinds = dict(both.execute("SELECT table_name, table_type FROM information_schema.tables "
                              "WHERE table_catalog = 'b'").fetchall())
    assert {kinds[m] for m in built[1].tables} == {"VIEW"}
    assert kinds["dim_date"] == kinds["_meta"] == "BASE TABLE"
    assert not (built[0].path.parent / SPARK_BUILDS).exists()  # the DuckDB engine keeps its single file
