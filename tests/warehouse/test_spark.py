"""The Spark engine's errors and its SQL translation.

That it builds the same warehouse as the DuckDB engine, on the real Online Retail data, is tested on a
standalone cluster (``test_spark_cluster.py``), not in local mode.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import duckdb
import pytest

from shopops.config import Settings
from shopops.errors import WarehouseError
from shopops.warehouse import load_models


def _why_no_spark() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'shopops[spark]')"
    from shopops.warehouse._spark import _java_available

    if not _java_available():
        return "Java 17 is not available (no `java` on PATH, JAVA_HOME not set)"
    return None


NO_SPARK = _why_no_spark()
needs_spark = pytest.mark.skipif(NO_SPARK is not None, reason=NO_SPARK or "")


@needs_spark
@pytest.mark.spark
@pytest.mark.slow
def test_spark_model_error_names_the_model(spark: Any, tmp_path: Path) -> None:
    from shopops.warehouse._spark import SparkEngine

    engine = SparkEngine(spark, tmp_path)
    try:
        with pytest.raises(WarehouseError, match="model 'broken' failed on Spark"):
            engine.run("broken", "SELECT no_such_column FROM (SELECT 1 AS x) AS t")
        # An error only the executors meet (ANSI cast), while the model is written.
        with pytest.raises(WarehouseError, match="model 'broken_rows' failed on Spark"):
            engine.run("broken_rows", "SELECT CAST(x AS INTEGER) AS n FROM (SELECT 'not a number' AS x) AS t")
    finally:
        engine.close()


@needs_spark
@pytest.mark.spark
@pytest.mark.slow
def test_a_model_is_read_back_from_its_files(spark: Any, tmp_path: Path) -> None:
    """Later models read a model's Parquet, not its lineage: the shuffles that made it can be dropped."""
    from shopops.warehouse._spark import SparkEngine

    engine = SparkEngine(spark, tmp_path)
    try:
        engine.run("stg_x", "SELECT unnest(generate_series(0, 99)) AS n, NULL AS nothing", temporary=True)
        engine.run("m", "SELECT n % 7 AS k, count(*) AS c, any_value(nothing) AS nothing FROM stg_x GROUP BY 1")
        files = engine.frames["m"].inputFiles()
        assert files and all(str(tmp_path / "m") in f for f in files)
        assert all(str(tmp_path / "_scratch" / "stg_x") in f for f in engine.frames["stg_x"].inputFiles())
        rows = sorted((r.k, r.c, r.nothing) for r in spark.sql("SELECT * FROM m").collect())
        assert rows == [(k, len(range(k, 100, 7)), None) for k in range(7)]
        assert engine.untyped["m"] == ["nothing"]
        assert "stg_x" not in engine.untyped  # staging is scratch, not part of the build
    finally:
        engine.close()
    assert not (tmp_path / "_scratch").exists()


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
