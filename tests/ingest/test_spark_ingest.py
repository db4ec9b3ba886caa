"""Ingest on Spark (local[2]) gives the batch the DuckDB ingest gives: same id, rows, types, reasons and report."""

from __future__ import annotations

import datetime
import importlib.util
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from shopops.config import Settings
from shopops.ingest._spark import strptime_to_java
from shopops.ingest.pipeline import IngestResult, ingest

DATA = Path(__file__).parents[2].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
#: Lines of Online Retail taken (the first ones of the file): the whole file takes a minute or two on
#: Spark local[2] on a shared 2-core machine, and these have exact duplicates, cancellations and outliers.
RETAIL_LINES = 20_000


def _why_no_spark() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'shopops[spark]')"
    from shopops._spark import java_available

    if not java_available():
        return "Java 17 is not available (no `java` on PATH, JAVA_HOME not set)"
    return None


NO_SPARK = _why_no_spark()
pytestmark = [pytest.mark.spark, pytest.mark.skipif(NO_SPARK is not None, reason=NO_SPARK or "")]


def _both(base: Path, path: Path, **kwargs: Any) -> dict[str, IngestResult]:
    return {engine: ingest(base / engine, path, engine=engine, **kwargs) for engine in ("duckdb", "spark")}


def _assert_same_batches(base: Path, results: dict[str, IngestResult]) -> list[str]:
    """Every table of both lakes compared: column names and types, rows (as multisets), reports. Returns the tables."""
    a, b = results["duckdb"], results["spark"]
    assert a.status == b.status == "committed"
    assert a.batch_id == b.batch_id
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        assert asdict(a.tables[name]) == asdict(b.tables[name]), name
    con = duckdb.connect()
    compared = []
    for zone in ("clean", "quarantine"):
        names = sorted(p.name for p in (base / "duckdb" / "lake" / zone).glob("*"))
        assert names == sorted(p.name for p in (base / "spark" / "lake" / zone).glob("*"))
        for name in names:
            files = {e: f"read_parquet('{base / e / 'lake' / zone / name}/**/*.parquet', hive_partitioning = false)"
                     for e in results}
            types = {e: con.execute(f"DESCRIBE SELECT * FROM {f}").fetchall() for e, f in files.items()}
            assert [t[:2] for t in types["duckdb"]] == [t[:2] for t in types["spark"]], (zone, name)
            for x, y in (("duckdb", "spark"), ("spark", "duckdb")):
                extra = con.execute(f"SELECT count(*) FROM (SELECT * FROM {files[x]} EXCEPT ALL "
                                    f"SELECT * FROM {files[y]})").fetchone()
                assert extra == (0,), f"{zone}/{name}: rows only the {x} ingest has"
            compared.append(f"{zone}/{name}")
    return compared


def test_java_patterns_of_date_formats() -> None:
    assert strptime_to_java("%d/%m/%Y %H:%M") == "d/M/yyyy H:m"
    assert strptime_to_java("%Y-%m-%dT%H:%M:%S") == "yyyy-M-d'T'H:m:s"


@pytest.mark.slow
def test_online_retail_same_on_both_engines(spark: Any, tmp_path: Path) -> None:
    if not DATA.is_file():
        pytest.skip(f"real data not found at {DATA}")
    part = tmp_path / "online_retail_part.parquet"
    pq.write_table(pq.read_table(DATA).slice(0, RETAIL_LINES), part)
    results = _both(tmp_path, part)
    compared = _assert_same_batches(tmp_path, results)
    assert "quarantine/order_lines" in compared and "clean/products" in compared
    report = results["spark"].tables["order_lines"]
    assert report.rows_in == RETAIL_LINES
    assert any("exact duplicate" in reason for reason in report.reasons)
    assert report.outliers and report.line_types["cancellation"] > 0
    # The id comes from the content: the other engine finds the batch already there.
    again = ingest(tmp_path / "duckdb", part, engine="spark")
    assert again.status == "skipped" and again.batch_id == results["duckdb"].batch_id


def test_simulated_shop_same_on_both_engines(spark: Any, tmp_path: Path) -> None:
    from shopops.simulate import SimulationConfig, simulate_shop

    out = tmp_path / "sim"
    simulate_shop(out, SimulationConfig(seed=5, start=datetime.date(2024, 9, 1), days=30, n_products=25,
                                        n_customers=400, web_event_days=1, messages_per_1000_orders=20.0))
    for name in ("order_lines", "customers"):
        part = sorted((out / name).glob("*.parquet"))[0]
        # One pseudonymisation key for both lakes (each would otherwise create its own).
        results = _both(tmp_path / name, part, adapter="canonical", table=name,
                        settings=Settings(pii_key="one key for both engines"))
        assert _assert_same_batches(tmp_path / name, results) == [f"clean/{name}"]
        if name == "customers":  # personal data: the same pseudonyms, counted alike
            report = results["spark"].tables["customers"]
            assert report.pseudonymised and all(n > 0 for n in report.pseudonymised.values())
            con = duckdb.connect()
            emails = con.execute(f"SELECT email FROM read_parquet('{tmp_path}/customers/spark/lake/clean/**/*.parquet') "
                                 "WHERE email IS NOT NULL LIMIT 5").fetchall()
            assert emails and all(e.startswith("pii_") for (e,) in emails)


BAD_CSV = """order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id,line_type,channel
1001,1,03/02/2024 10:15,A1,2,3.50,c1,sale,web
1001,2,03/02/2024 10:15,A2,abc,1.00,c1,sale,web
1001,2,03/02/2024 10:15,A3,1,1.00,c1,sale,web
1001,2,03/02/2024 10:16,A4,1,1.00,c1,sale,web
1002,1,31/13/2024 09:00,A1,1,2.00,c2,sale,web
1003,1,,A1,1,-2.00,c3,sale,web
1004,1,05/02/2099 09:00,A1,0,2.00,c4,sale,app
1005,1,5/2/2024 9:05,A1,1.5,2.00,c5,gift,web
1006,x,2024-02-05 09:05:00,A1,3,1e400,c6,sale,web
1007,1,2024-02-05T09:05:00,,4,nan,c7,sale,web
1008,1,07/02/1950 09:00,B2,7,2.5,c8,sale,web
1009,1,6/2/2024 11:00,B2,7,2.5,c9,sale,web
"""


def test_bad_input_gets_the_same_reasons(spark: Any, tmp_path: Path) -> None:
    src = tmp_path / "lines.csv"
    src.write_text(BAD_CSV, encoding="utf-8")
    mapping = tmp_path / "lines.toml"
    mapping.write_text('[source]\ntable = "order_lines"\n[parse]\n'
                       'date_formats = ["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S"]\n', encoding="utf-8")
    results = _both(tmp_path, src, mapping=mapping)
    assert _assert_same_batches(tmp_path, results) == ["clean/order_lines", "quarantine/order_lines"]
    con = duckdb.connect()
    reasons = dict(con.execute(
        f"SELECT _source_row, _reason FROM read_parquet('{tmp_path}/spark/lake/quarantine/**/*.parquet')").fetchall())
    assert reasons[5] == "duplicate key (order_id=1001, line_no=2): first at row 4"
    assert reasons[6] == 'ordered_at: "31/13/2024 09:00" is not a date and time'
    assert reasons[7] == "ordered_at: missing; unit_price: -2.0 is below the minimum 0"
    assert reasons[8].startswith("ordered_at: 2099-02-05 09:00:00 is in the future")
    assert reasons[10] == 'line_no: "x" is not a whole number; unit_price: "1e400" is not a number'
    assert 13 not in reasons  # 6/2/2024 11:00 is read with a one-digit day and month, as DuckDB reads it
    assert results["spark"].tables["order_lines"].rows_ok == 3


def test_spark_ingest_without_java_says_what_to_install(tmp_path: Path) -> None:
    src = tmp_path / "lines.csv"
    src.write_text(BAD_CSV, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_HOME", "SPARK_REMOTE")}
    env["PATH"] = str(Path(sys.executable).parent)  # the interpreter's folder, no java
    env["PYTHONPATH"] = str(Path(__file__).parents[2] / "src")
    run = subprocess.run([sys.executable, "-c", "from shopops.cli import main; main()", "ingest", str(src), "--table", "order_lines",
                          "--data", str(tmp_path / "data"), "--engine", "spark", "--no-build"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode != 0
    assert "needs Java 17" in run.stderr + run.stdout
    assert not list((tmp_path / "data" / "lake" / "_batches").glob("*.json"))
