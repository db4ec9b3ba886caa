from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ONLINE_RETAIL = SHARED / "online_retail" / "online_retail.parquet"


@pytest.fixture(scope="session")
def online_retail() -> Path:
    if not ONLINE_RETAIL.is_file():
        pytest.skip(f"real data not found at {ONLINE_RETAIL}")
    return ONLINE_RETAIL


@pytest.fixture(scope="session")
def retail_shop(tmp_path_factory: pytest.TempPathFactory, online_retail: Path):
    """Online Retail ingested once for the whole session (read-only for tests)."""
    from shopops import Shop

    shop = Shop.open(tmp_path_factory.mktemp("retail"))
    result = shop.ingest(online_retail)
    return shop, result


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory):
    """A Spark standalone master and two one-core workers on loopback, for the whole session."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None or (shutil.which("java") is None and not os.environ.get("JAVA_HOME")):
        pytest.skip("a Spark cluster needs pyspark and Java 17")
    from tests.spark_cluster import start_cluster

    cluster = start_cluster(tmp_path_factory.mktemp("spark-cluster"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def spark():
    """One local Spark session per module (reused by the ingests and builds); stopped only if we started it."""
    from pyspark.sql import SparkSession

    from shopops._spark import spark_session
    from shopops.config import Settings

    existed = SparkSession.getActiveSession() is not None
    session = spark_session(Settings())
    yield session
    if not existed:
        session.stop()
