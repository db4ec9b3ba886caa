"""The SparkSession shopops runs on and the DuckDB-to-Spark SQL translation, shared by ingest and the build.

``pyspark`` is an optional extra (``pip install 'shopops[spark]'``) and needs Java 17; nothing here
imports it before a session is asked for.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from shopops.config import Settings
from shopops.errors import WarehouseError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["INSTALL_HINT", "apply_sql_conf", "java_available", "spark_session", "tidy_hadoop_files", "to_spark_sql"]

INSTALL_HINT = "install it with `pip install 'shopops[spark]'` and Java 17 (e.g. openjdk-17-jre)"

#: SQL settings applied to every session, new or reused (all of them may change at runtime).
_SQL_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    # Parquet timestamps written without a time zone (isAdjustedToUTC = false, as the lake writes
    # them) are read as TIMESTAMP_NTZ, i.e. wall-clock values, never shifted by a time zone.
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    # `TIMESTAMP` in SQL means TIMESTAMP_NTZ, like DuckDB's TIMESTAMP.
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
}
_LOCAL_SHUFFLE_PARTITIONS = "4"

Transform = Callable[[exp.Expression], exp.Expression]


def _exact_percentile(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``quantile_cont(x, q)`` as Spark's exact ``percentile(x, q)`` (same linear interpolation).

    sqlglot writes it as ``PERCENTILE_CONT(x, q)``, which Spark refuses (it takes only the WITHIN GROUP form).
    """
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    return node


def to_spark_sql(sql: str, transforms: Sequence[Transform] = ()) -> str:
    """Transpile one DuckDB-dialect statement to Spark SQL.

    Parameters
    ----------
    sql : str
        One statement in DuckDB's dialect.
    transforms : sequence of callables
        Extra rewrites of the parsed tree (node → node), applied after the built-in ones, for
        DuckDB functions sqlglot leaves as they are.

    Raises
    ------
    WarehouseError
        When sqlglot cannot parse the statement or has no Spark equivalent for a construct.
    """
    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
        statements = []
        for tree in trees:
            tree = tree.transform(_exact_percentile)
            for transform in transforms:
                tree = tree.transform(transform)
            statements.append(tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE))
    except SqlglotError as exc:
        raise WarehouseError(f"cannot translate this SQL to Spark: {exc}\n{sql}") from None
    statements = [s for s in statements if s.strip()]
    if len(statements) != 1:
        raise WarehouseError(f"expected one SQL statement, found {len(statements)}:\n{sql}")
    return statements[0]


def java_available() -> bool:
    """Whether a ``java`` can be found (``JAVA_HOME`` or ``PATH``)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return True
    return shutil.which("java") is not None


def spark_session(settings: Settings | None = None) -> SparkSession:
    """The SparkSession shopops runs on: the active one, or a new one in ``settings.spark_master``.

    A new session gets UTC as session time zone, no UI, quiet logs and, in local mode, 4 shuffle
    partitions. The SQL settings shopops depends on (UTC, Parquet timestamps without time zone
    read as ``TIMESTAMP_NTZ``, Arrow transfers) are applied to a reused session as well.

    Raises
    ------
    WarehouseError
        When pyspark is not installed or Java cannot be found or started.
    """
    settings = settings or Settings()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise WarehouseError(f"the Spark engine needs pyspark: {INSTALL_HINT}") from None
    spark = SparkSession.getActiveSession()
    if spark is None:
        if not os.environ.get("SPARK_REMOTE") and not java_available():
            raise WarehouseError(
                f"the Spark engine needs Java 17, but no `java` is on PATH and JAVA_HOME is not set: {INSTALL_HINT}"
            )
        # Python UDFs run in workers started with this interpreter, which has shopops' packages.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        master = settings.spark_master
        builder = SparkSession.builder.master(master).appName("shopops")
        conf = {
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.log.level": "ERROR",
            **_SQL_CONF,
        }
        if master.startswith("local"):
            conf["spark.sql.shuffle.partitions"] = _LOCAL_SHUFFLE_PARTITIONS
            conf["spark.default.parallelism"] = _LOCAL_SHUFFLE_PARTITIONS
            # A local master needs no network address: by default the driver binds to the host's
            # interface address, and a task result too big to travel in its status message is fetched
            # back over it. Under a loaded CI run one such fetch failed ("TaskResultLost (result lost
            # from block manager)"), and local mode does not retry a task. Loopback keeps it in the box.
            conf["spark.driver.host"] = "127.0.0.1"
            conf["spark.driver.bindAddress"] = "127.0.0.1"
        if settings.spark_shuffle_partitions is not None:
            # Spark's default of 200 shuffle partitions suits a big cluster's big build; a small cluster
            # or shop spends most of its build scheduling near-empty tasks.
            conf["spark.sql.shuffle.partitions"] = str(settings.spark_shuffle_partitions)
            conf["spark.default.parallelism"] = str(settings.spark_shuffle_partitions)
        for key, value in conf.items():
            builder = builder.config(key, value)
        try:
            spark = builder.getOrCreate()
        except Exception as exc:
            raise WarehouseError(
                f"could not start Spark in {master!r}: {exc}; the Spark engine needs Java 17 and "
                f"pyspark ({INSTALL_HINT})"
            ) from None
        with contextlib.suppress(Exception):  # Spark Connect sessions have no SparkContext
            spark.sparkContext.setLogLevel("ERROR")
    apply_sql_conf(spark)
    return spark


def apply_sql_conf(spark: SparkSession) -> None:
    """Apply the SQL settings shopops depends on to ``spark``."""
    for key, value in _SQL_CONF.items():
        spark.conf.set(key, value)


def tidy_hadoop_files(folder: Path) -> None:
    """Remove what Hadoop's committer writes beside the Parquet files (``_SUCCESS``, ``.crc`` checksums)."""
    for path in folder.rglob("*"):
        if path.is_file() and (path.name == "_SUCCESS" or path.name.endswith(".crc")):
            path.unlink()
