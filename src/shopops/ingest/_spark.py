"""Ingest on Spark: validation, quarantine reasons, de-duplication and pseudonymisation as Spark jobs.

What runs where, per table of a batch:

- the driver reads the source as the DuckDB path does (streamed, any format) and applies the adapter's
  column mapping (its DuckDB SQL) on the way to one Parquet file in the batch's staging folder;
- Spark reads that file and runs the validation queries of :func:`~shopops.ingest.validate.stage_sql`,
  the very definition the DuckDB path runs, transpiled by sqlglot (with the rewrites below for the
  few DuckDB functions sqlglot keeps as they are); personal data is replaced by a vectorised
  pandas UDF calling :meth:`~shopops.ingest.pii.PiiHasher.pseudonym`, the pseudonym of the DuckDB
  path by construction;
- Spark's executors write the staged rows, the clean rows and the quarantined rows as Parquet into the
  staging folder; the lake's commit makes them visible as on the DuckDB path;
- DuckDB on the driver reads the staged rows back (a streamed scan, nothing held) for the superseded
  keys and the data-quality report: the pipeline's own report queries, so the report cannot differ.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import duckdb
import sqlglot
from sqlglot import exp

from shopops._duck import sql_ident, sql_str
from shopops._spark import apply_sql_conf, spark_session, tidy_hadoop_files, to_spark_sql
from shopops.config import Settings
from shopops.errors import IngestError, WarehouseError
from shopops.ingest.pii import PiiHasher
from shopops.ingest.validate import ParseOptions, stage_sql
from shopops.schema import Table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkStager", "remove_scratch", "spark_validation_sql", "strptime_to_java"]

#: DuckDB ``strptime`` directives as Java (Spark) pattern letters. Single letters where DuckDB
#: accepts a number with or without its leading zero (``%m`` reads "1" and "01"), as Java's single
#: letters do.
_DIRECTIVES = {
    "%Y": "yyyy", "%y": "yy", "%m": "M", "%d": "d", "%H": "H", "%I": "h", "%M": "m", "%S": "s",
    "%p": "a", "%b": "MMM", "%B": "MMMM", "%a": "EEE", "%A": "EEEE", "%f": "SSSSSS", "%j": "D",
    "%z": "Z", "%e": "d",
}


def strptime_to_java(fmt: str) -> str:
    """A DuckDB ``strptime`` format as the Java pattern Spark's ``to_timestamp`` takes.

    Raises
    ------
    IngestError
        For a directive without a Java equivalent here.
    """
    out: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            text = "".join(literal).replace("'", "''")
            out.append(f"'{text}'" if re.search(r"[A-Za-z']", text) else text)
            literal.clear()

    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            code = fmt[i:i + 2]
            if code == "%%":
                literal.append("%")
            elif code in _DIRECTIVES:
                flush()
                out.append(_DIRECTIVES[code])
            else:
                raise IngestError(f"date format {fmt!r}: {code} has no Spark equivalent; use the DuckDB engine "
                                  f"or one of {', '.join(sorted(_DIRECTIVES))}")
            i += 2
        else:
            literal.append(fmt[i])
            i += 1
    flush()
    return "".join(out)


def _spark_functions(node: exp.Expression) -> exp.Expression:
    """DuckDB functions the validation uses that sqlglot passes through unchanged, in Spark's terms."""
    if not isinstance(node, exp.Anonymous):
        return node
    name = str(node.this).lower()
    args = list(node.expressions)
    if name == "isfinite" and len(args) == 1:
        x = args[0].sql(dialect="spark")
        finite = sqlglot.parse_one(f"(NOT isnan({x}) AND abs({x}) < CAST('Infinity' AS DOUBLE))", read="spark")
        return cast(exp.Expression, finite)
    if name == "hash":
        # Spark's hashes skip NULL arguments, so (NULL, 'a') and ('a', NULL) would hash alike; a NULL
        # flag before each value keeps such rows apart, as DuckDB's hash does.
        flagged: list[exp.Expression] = []
        for arg in args:
            flagged += [exp.Anonymous(this="isnull", expressions=[arg.copy()]), arg]
        return exp.Anonymous(this="xxhash64", expressions=flagged)
    if name == "try_strptime" and len(args) == 2 and isinstance(args[1], exp.Literal):
        java = strptime_to_java(args[1].this)
        return exp.Anonymous(this="try_to_timestamp", expressions=[args[0], exp.Literal.string(java)])
    return node


def spark_validation_sql(sql: str) -> str:
    """One validation query (DuckDB dialect) in Spark SQL."""
    return to_spark_sql(sql, transforms=(_spark_functions,))



class SparkStager:
    """Stage canonical tables of one batch on Spark, in place of :func:`~shopops.ingest.validate.stage`.

    Parameters
    ----------
    settings : Settings
        ``spark_master`` says where Spark runs.

    Raises
    ------
    WarehouseError
        When pyspark or Java is missing (the message of the Spark build).
    """

    def __init__(self, settings: Settings) -> None:
        shared = spark_session(settings)
        try:
            self.spark: SparkSession = shared.newSession()  # own temp views, shared SparkContext
        except Exception:  # Spark Connect may not support it
            self.spark = shared
        apply_sql_conf(self.spark)

    def stage(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        source_sql: str,
        table: Table,
        staged_name: str,
        opts: ParseOptions,
        pii_columns: list[str],
        hasher: PiiHasher,
        staging: Path,
        source_file: str,
        quarantine_rows: bool,
    ) -> dict[str, int]:
        """Validate, de-duplicate and pseudonymise ``source_sql`` on Spark and write the batch's files.

        Writes ``clean/<table>/`` and (when there are bad rows, or ``quarantine_rows``) the rows of
        ``quarantine/<table>/rows/`` into ``staging``, and leaves DuckDB temp view ``staged_name`` over
        the staged rows (canonical columns, ``_source_row``, ``_reason``) for the report.

        Returns
        -------
        dict
            Number of distinct values pseudonymised per column (as :meth:`PiiHasher.apply`).
        """
        scratch = staging / "_spark" / staged_name
        scratch.mkdir(parents=True, exist_ok=True)
        mapped = scratch / "mapped.parquet"
        # The adapter's mapping runs where the source was read; nanosecond and zoned timestamps are
        # written as plain microsecond TIMESTAMP, the one timestamp Spark reads as wall-clock time.
        cols = [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE SELECT * FROM ({source_sql}) AS s").fetchall()]
        select = ", ".join(
            f"CAST({sql_ident(c)} AS TIMESTAMP) AS {sql_ident(c)}" if t.startswith("TIMESTAMP") and t != "TIMESTAMP"
            else sql_ident(c) for c, t in cols
        )
        con.execute(f"COPY (SELECT {select} FROM ({source_sql}) AS s) TO {sql_str(mapped)} "
                    "(FORMAT parquet, COMPRESSION zstd)")
        types = {c: ("TIMESTAMP" if t.startswith("TIMESTAMP") else t) for c, t in cols}
        view = f"_mapped_{staged_name}"
        queries = stage_sql(types, source_sql=f"SELECT * FROM {sql_ident(view)}", table=table,
                            staged_name=staged_name, opts=opts)
        spark = self.spark
        spark.read.parquet(str(mapped)).createOrReplaceTempView(view)
        pre: DataFrame | None = None
        try:
            from pyspark import StorageLevel

            pre = spark.sql(spark_validation_sql(queries.pre)).persist(StorageLevel.MEMORY_AND_DISK)
            pre.createOrReplaceTempView(queries.pre_name)
            staged = spark.sql(spark_validation_sql(queries.final))
            done: dict[str, int] = {}
            if pii_columns:
                from pyspark.sql import functions as sf

                counts = pre.agg(*[sf.countDistinct(c).alias(c) for c in pii_columns]).collect()[0]
                done = {c: int(counts[c]) for c in pii_columns}
                for column in pii_columns:
                    staged = staged.withColumn(column, _pseudonym_udf(hasher, column)(sf.col(column)))
            staged_dir = scratch / "staged"
            staged.write.option("compression", "zstd").parquet(str(staged_dir))
            names = table.names
            written = spark.read.parquet(str(staged_dir))
            clean_dir = staging / "clean" / table.name
            written.where("_reason IS NULL").select(*names).write.option("compression", "zstd").parquet(
                str(clean_dir))
            tidy_hadoop_files(clean_dir)
            bad = written.where("_reason IS NOT NULL")
            if quarantine_rows or bad.limit(1).count():
                from pyspark.sql import functions as sf

                q_dir = staging / "quarantine" / table.name / "rows"
                bad.select(*names, "_reason", sf.lit(source_file).alias("_source_file"), "_source_row",
                           sf.lit(None).cast("string").alias("_raw_text")).write.option(
                    "compression", "zstd").parquet(str(q_dir))
                tidy_hadoop_files(q_dir)
        except (IngestError, WarehouseError):
            raise
        except Exception as exc:
            raise IngestError(f"{source_file}: validating {table.name} on Spark failed, nothing was stored: "
                              f"{_first_lines(str(exc))}") from None
        finally:
            if pre is not None:
                pre.unpersist()
            spark.catalog.dropTempView(queries.pre_name)
            spark.catalog.dropTempView(view)
        mapped.unlink()
        con.execute(f"CREATE OR REPLACE TEMP VIEW {sql_ident(staged_name)} AS "
                    f"SELECT * FROM read_parquet({sql_str(staged_dir / '*.parquet')})")
        return done


def _pseudonym_udf(hasher: PiiHasher, column: str) -> Any:
    """A vectorised UDF: the pseudonym of every non-null value of ``column`` (the key travels in the closure)."""
    import pandas as pd
    from pyspark.sql.pandas.functions import pandas_udf

    def pseudonymise(values: pd.Series) -> pd.Series:
        return values.map(lambda v: None if v is None or v != v else hasher.pseudonym(column, v))

    # pyspark reads the UDF's kind from its type hints, which postponed annotations leave as text.
    pseudonymise.__annotations__ = {"values": pd.Series, "return": pd.Series}
    return pandas_udf(pseudonymise, "string")  # type: ignore[call-overload]


def _first_lines(message: str, lines: int = 6) -> str:
    return "\n".join(message.strip().splitlines()[:lines])


def remove_scratch(staging: Path) -> None:
    """Remove the Spark path's scratch files (source copies, staged rows) before the batch is committed."""
    shutil.rmtree(staging / "_spark", ignore_errors=True)
