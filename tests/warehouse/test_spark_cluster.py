"""The Spark build on a real standalone cluster (a master and two workers on loopback), run as ``shopops build``.

The build runs in a subprocess (``SHOPOPS_SPARK_MASTER=spark://...``), as a data engineer would run it,
because this test process may already hold a local SparkSession.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from tests.spark_cluster import SparkCluster, cluster_env

from shopops import Shop
from shopops.lake import Lake
from shopops.warehouse import Reader, build_warehouse, load_models
from shopops.warehouse._spark import MANIFEST, SPARK_BUILDS, read_manifest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SRC = Path(__file__).resolve().parents[2] / "src"

#: Models compared value by value (every model is compared by column types and row count; fact_order_line,
#: half a million rows, is compared in SQL).
COMPARED = ("kpi_period", "kpi_product_month", "kpi_category_month", "dim_product", "dim_customer", "fact_order",
            "dim_date", "fact_fulfilment", "kpi_fulfilment")


def _build_cmd(data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "shopops.cli", "build", "--engine", "spark", "--data", str(data_dir)]


def _env(cluster: SparkCluster) -> dict[str, str]:
    env = cluster_env()
    env["SHOPOPS_SPARK_MASTER"] = cluster.url
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env["PYSPARK_PYTHON"] = sys.executable
    env["SHOPOPS_SPARK_SHUFFLE_PARTITIONS"] = "4"  # two 1-core executors: Spark's 200 would be near-empty tasks
    return env


def _spark_build(data_dir: Path, cluster: SparkCluster) -> None:
    proc = subprocess.run(_build_cmd(data_dir), env=_env(cluster), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"shopops build --engine spark failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


RETAIL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
#: Lines of Online Retail ingested on the cluster (with cancellations, duplicates and bad rows among them);
#: the rest of it is one DuckDB batch in both lakes.
RETAIL_LINES = 3_000


def _cli(args: list[str], cluster: SparkCluster) -> None:
    proc = subprocess.run([sys.executable, "-m", "shopops.cli", *args], env=_env(cluster), capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, f"shopops {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def _kill_a_build_mid_way(data_dir: Path, cluster: SparkCluster) -> dict[str, Any]:
    """Start a cluster build of ``data_dir``, kill its driver once it runs; what the served warehouse showed."""
    reader = Reader.for_data_dir(data_dir)
    before = reader.meta()
    count = reader.frame("SELECT count(*) AS n FROM fact_order_line")["n"][0]
    builds = data_dir / SPARK_BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    old = {d.name for d in builds.iterdir()}
    proc = subprocess.Popen(_build_cmd(data_dir), env=_env(cluster), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # Kill the driver (and its JVM) once the new build is running on the cluster: its folder exists
        # (created after the session is up, before the first model) and the master lists the application.
        _wait_for(lambda: (any(d.name not in old for d in builds.iterdir())
                           and bool(cluster.master_state().get("activeapps")))
                  or proc.poll() is not None, "the new build to start on the cluster")
        finished_early = proc.poll() is not None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    reader.close()
    return {"before": before, "count": count, "finished_early": finished_early,
            "broken": [d.name for d in builds.iterdir() if d.name not in old],
            "manifests": [d.name for d in builds.iterdir() if d.name not in old and (d / MANIFEST).exists()],
            "after_kill": reader.meta(),
            "count_after_kill": reader.frame("SELECT count(*) AS n FROM fact_order_line")["n"][0]}


def _split_retail(base: Path) -> tuple[Path, Path]:
    """Online Retail cut at the first invoice boundary after RETAIL_LINES: (the first lines, the rest)."""
    table = pq.read_table(RETAIL)
    invoices = table.column("InvoiceNo").to_pylist()
    cut = next(i for i in range(RETAIL_LINES, len(invoices)) if invoices[i] != invoices[i - 1])
    first, rest = base / "online_retail_first.parquet", base / "online_retail_rest.parquet"
    pq.write_table(table.slice(0, cut), first)
    pq.write_table(table.slice(cut), rest)
    return first, rest


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory, spark_cluster: SparkCluster) -> dict[str, Any]:
    """A small simulated shop plus all of Online Retail, ingested and built by DuckDB (``duck``) and on the cluster.

    Both lakes share the simulated shop and most of Online Retail (one DuckDB batch). Its first
    RETAIL_LINES lines are then ingested by each engine, on the cluster with ``--engine spark``. On the
    cluster (``spark``) a first build is killed mid-way (over the DuckDB-built warehouse the copy
    brought along), then a build completes.
    """
    if not RETAIL.is_file():
        pytest.skip(f"real data not found at {RETAIL}")
    base = tmp_path_factory.mktemp("cluster-shop")
    duck, spark = base / "duckdb", base / "spark"
    first, rest = _split_retail(base)
    shop = Shop.open(duck)
    shop.simulate(seed=5, days=90, products=25, customers=400)
    shop.ingest(rest, build=False)
    shutil.copytree(duck, spark)  # the same lake and PII key
    build_warehouse(spark, engine="duckdb")
    _cli(["ingest", str(first), "--engine", "duckdb", "--no-build", "--data", str(duck)], spark_cluster)
    _cli(["ingest", str(first), "--engine", "spark", "--no-build", "--data", str(spark)], spark_cluster)
    build_warehouse(duck, engine="duckdb")
    killed = _kill_a_build_mid_way(spark, spark_cluster)
    _spark_build(spark, spark_cluster)
    return {"duck": duck, "spark": spark, "killed": killed}


def test_cluster_ingest_gives_the_duckdb_batch(shops: dict[str, Any]) -> None:
    lakes = [Lake(shops[k]).batches()[-1] for k in ("duck", "spark")]
    assert lakes[0].batch_id == lakes[1].batch_id
    assert lakes[0].report == lakes[1].report
    assert lakes[0].report["order_lines"]["rows_quarantined"] > 0  # the slice has rows the rules reject
    con = duckdb.connect()
    rows = []
    for key, batch in zip(("duck", "spark"), lakes, strict=True):
        files = [str(Lake(shops[key]).root / f) for f in batch.tables["order_lines"]["files"]]
        rows.append(con.execute(f"SELECT * FROM read_parquet({files!r}) ORDER BY ALL").fetchall())
    assert len(rows[0]) > RETAIL_LINES // 2 and rows[0] == rows[1]


def _same(u: object, v: object) -> bool:
    if isinstance(u, float) and isinstance(v, float):
        return math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9)
    return type(u) is type(v) and u == v


def test_cluster_build_gives_the_duckdb_answers(shops: dict[str, Any]) -> None:
    duck, spark = shops["duck"], shops["spark"]
    con = duckdb.connect()
    con.execute(f"ATTACH '{duck / 'warehouse.duckdb'}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{spark / 'warehouse.duckdb'}' AS b (READ_ONLY)")
    for table in [m.name for m in load_models()]:
        assert con.execute(f"DESCRIBE b.{table}").fetchall() == con.execute(f"DESCRIBE a.{table}").fetchall(), table
        count = f"SELECT count(*) FROM {{}}.{table}"
        assert con.execute(count.format("b")).fetchall() == con.execute(count.format("a")).fetchall(), table
    compared = 0
    for table in COMPARED:
        rows_a = con.execute(f"SELECT * FROM a.{table} ORDER BY ALL").fetchall()
        rows_b = con.execute(f"SELECT * FROM b.{table} ORDER BY ALL").fetchall()
        bad = [(u, v) for ra, rb in zip(rows_a, rows_b, strict=True) for u, v in zip(ra, rb, strict=True)
               if not _same(u, v)]
        assert not bad, f"{table}: {len(bad)} values differ, e.g. {bad[:3]}"
        compared += len(rows_a)
    assert compared > 10_000
    # No aggregation in fact_order_line: every value must match exactly (timestamps unshifted).
    cols = [str(r[0]) for r in con.execute("DESCRIBE a.fact_order_line").fetchall()]
    differs = " OR ".join(f"x.{c} IS DISTINCT FROM y.{c}" for c in cols)
    lines, = con.execute("SELECT count(*) FROM a.fact_order_line").fetchone()
    assert lines > 500_000
    assert con.execute("SELECT count(*) FROM a.fact_order_line AS x FULL JOIN b.fact_order_line AS y "
                       f"ON x.order_id = y.order_id AND x.line_no = y.line_no WHERE {differs}").fetchone() == (0,)
    retail = con.execute("SELECT min(ordered_at), max(ordered_at) FROM b.fact_order_line "
                         "WHERE ordered_at >= TIMESTAMP '2010-01-01' AND ordered_at < TIMESTAMP '2012-01-01'").fetchone()
    assert retail == (datetime(2010, 12, 1, 8, 26), datetime(2011, 12, 9, 12, 50))
    # The served file holds views over the build's Parquet, not copies of the rows.
    kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                             "WHERE table_catalog = 'b'").fetchall())
    assert kinds["fact_order_line"] == "VIEW" and kinds["dim_date"] == "BASE TABLE"
    # The API's Reader answers from it like from the DuckDB engine's file.
    reader = Reader.for_data_dir(spark)
    assert reader.meta()["engine"] == "spark"
    query = "SELECT count(*), round(sum(net_sales), 6) FROM fact_order_line"
    (n_b, sales_b), = reader.frame(query).values.tolist()
    (n_a, sales_a), = Reader.for_data_dir(duck).frame(query).values.tolist()
    # Spark sums in another order: the total can differ in its last digits (the build test's tolerance).
    assert n_b == n_a and math.isclose(sales_b, sales_a, rel_tol=1e-9)


def test_cluster_build_commits_a_manifest_of_month_partitioned_parquet(shops: dict[str, Any]) -> None:
    spark = shops["spark"]
    folder = Reader.for_data_dir(spark).meta()["spark_build"]
    manifest = read_manifest(spark / SPARK_BUILDS / folder)
    assert manifest is not None
    assert set(manifest["tables"]) == {m.name for m in load_models()}
    lines = manifest["tables"]["fact_order_line"]["files"]
    months = {Path(f).parent.name for f in lines}
    assert len(months) >= 3 and all(m.startswith("_month=") for m in months)
    assert all((spark / SPARK_BUILDS / folder / f).is_file() for f in lines)
    assert not (shops["duck"] / SPARK_BUILDS).exists()  # the DuckDB engine keeps its single file


def test_cluster_build_ran_on_both_workers(shops: dict[str, Any], spark_cluster: SparkCluster) -> None:
    apps = spark_cluster.master_state()["completedapps"]
    assert apps, "the master saw no finished application"
    app_id = apps[-1]["id"]
    for i in range(2):
        finished = [e for e in spark_cluster.worker_state(i)["finishedexecutors"] if e["appid"] == app_id]
        assert finished, f"worker {i} ran no executor of {app_id}"
        logs = list((spark_cluster.work_dir(i) / app_id).glob("*/stderr"))
        assert any("Finished task" in p.read_text(errors="replace") for p in logs), f"worker {i} ran no task"


def _wait_for(cond: Any, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def test_a_build_killed_mid_way_leaves_the_served_warehouse_and_the_next_build_completes(shops: dict[str, Any]) -> None:
    killed = shops["killed"]
    assert not killed["finished_early"], "the build finished before it could be killed"
    assert killed["broken"] and not killed["manifests"]  # the killed build's folder, never committed
    assert killed["after_kill"] == killed["before"] and killed["before"]["engine"] == "duckdb"
    assert killed["count_after_kill"] == killed["count"]
    after = Reader.for_data_dir(shops["spark"]).meta()
    assert after["engine"] == "spark" and after["spark_build"] not in killed["broken"]
    # Built from every committed batch: the served one before, and the Online Retail slice ingested since.
    batches = [b.batch_id for b in Lake(shops["spark"]).batches()]
    assert json.loads(after["batches"]) == batches == [*json.loads(killed["before"]["batches"]), batches[-1]]
    # The broken build is gone once the next one is served.
    assert sorted(d.name for d in (shops["spark"] / SPARK_BUILDS).iterdir()) == [after["spark_build"]]


def test_the_in_memory_indexes_load_from_a_spark_built_warehouse(shops: dict[str, Any]) -> None:
    from shopops.warehouse import customer_index, line_index, order_index

    duck, spark = (Reader.for_data_dir(shops[k]) for k in ("duck", "spark"))
    # Spark sums in another order than DuckDB: money can differ in the last bit (compared with a tolerance, as
    # the build test does), and so can the order of customers whose sales tie up to that bit.
    for page in ("orders", "customers"):
        got = []
        for r in (duck, spark):
            index = order_index(r) if page == "orders" else customer_index(r)
            body = json.loads(index.page_json(None, None, limit=50))
            key = "order_id" if page == "orders" else "customer_id"
            got.append((body["total"], sorted(body["items"], key=lambda row, k=key: row[k])))
        assert got[0][0] == got[1][0] and len(got[0][1]) == 50, page
        for a, b in zip(got[0][1], got[1][1], strict=True):
            assert a.keys() == b.keys() and all(_same(a[c], b[c]) for c in a), (page, a, b)
    first = order_index(duck).row(order_index(duck).page(None, None)[0][0]["order_id"])
    assert first is not None and order_index(spark).row(first["order_id"]) == first
    assert line_index(spark).lines(first["order_id"]) == line_index(duck).lines(first["order_id"])
