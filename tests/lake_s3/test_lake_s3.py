"""The lake on a real local S3 server: the same tables as on local disk, idempotent, atomic under kill -9."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from shopops import Shop
from shopops.lake import LAKE_POINTER, Lake

from .conftest import S3Server

TABLES = ["fact_order_line", "dim_product", "dim_customer", "quarantine", "kpi_period"]
LINES = """order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id
1001,1,2024-03-01 10:00,SKU-1,2,9.99,C1
1001,2,2024-03-01 10:00,SKU-2,1,20.00,C1
1002,1,2024-03-02 11:30,SKU-1,1,9.99,C2
1003,1,2024-03-05 09:15,SKU-3,abc,1.50,
"""


@pytest.fixture(scope="module")
def retail_slice(online_retail: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 60,000 lines of Online Retail: the real file's shapes, in a few seconds."""
    path = tmp_path_factory.mktemp("slice") / "online_retail.parquet"
    pq.write_table(pq.read_table(online_retail).slice(0, 60_000), path)
    return path


def _tables(shop: Shop) -> dict[str, pd.DataFrame]:
    out = {}
    for name in TABLES:
        frame = shop.sql(f"SELECT * FROM {name}")
        out[name] = frame.sort_values(list(frame.columns)[:4]).reset_index(drop=True)
    return out


def _objects(server: S3Server, bucket: str) -> list[str]:
    base = server.root / bucket
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file() and not p.name.startswith("."))


@pytest.mark.slow
def test_online_retail_on_s3_gives_the_tables_of_local_disk(s3_env: S3Server, retail_slice: Path, tmp_path: Path):
    bucket = s3_env.new_bucket()
    remote = Shop.open(f"s3://{bucket}/shop")
    local = Shop.open(tmp_path / "disk")
    assert remote.ingest(retail_slice).status == "committed"
    local.ingest(retail_slice)
    # Local state (warehouse, operational store) lives in SHOPOPS_LOCAL_DIR; the lake only on the server.
    assert (remote.data_dir / LAKE_POINTER).read_text().strip() == f"s3://{bucket}/shop"
    assert not (remote.data_dir / "lake").exists()
    assert any(k.startswith("shop/lake/clean/order_lines/batch=") for k in _objects(s3_env, bucket))
    for name, frame in _tables(local).items():
        got = _tables(remote)[name]
        if name == "quarantine":  # the source file's path is where each shop read it: the same file here
            assert len(got) == len(frame) > 0
            continue
        pd.testing.assert_frame_equal(got, frame, check_like=True)
    assert [b.batch_id for b in remote.batches()] == [b.batch_id for b in local.batches()]

    # Idempotent: the same source again is found in the lake on the server and skipped.
    before = _objects(s3_env, bucket)
    again = Shop.open(f"s3://{bucket}/shop").ingest(retail_slice)
    assert again.status == "skipped"
    assert _objects(s3_env, bucket) == before
    # A fresh machine (another local folder) sees the same lake and builds the same warehouse from it.
    other = Shop.open(f"s3://{bucket}/shop", settings=None)
    assert other.data_dir == remote.data_dir
    fresh = tmp_path / "fresh-machine"
    from shopops.config import Settings

    elsewhere = Shop.open(f"s3://{bucket}/shop", settings=Settings(local_dir=fresh))
    elsewhere.build()
    assert elsewhere.sql("SELECT count(*) FROM fact_order_line").iloc[0, 0] == len(_tables(local)["fact_order_line"])


@pytest.mark.slow
def test_simulated_shop_on_s3_with_personal_data(s3_env: S3Server, tmp_path: Path):
    """Several tables, pseudonymised personal data and the lake's own PII key: the same as on disk."""
    bucket = s3_env.new_bucket()
    sizes = {"seed": 3, "lines": 1_500, "days": 30, "products": 30, "customers": 150}
    remote = Shop.open(f"s3://{bucket}/sim")
    remote.simulate(**sizes)
    assert "sim/secrets/pii.key" in _objects(s3_env, bucket)
    key = (s3_env.root / bucket / "sim" / "secrets" / "pii.key").read_text()
    assert not (remote.data_dir / "secrets").exists()
    local = Shop.open(tmp_path / "disk", settings=None)
    (local.data_dir / "secrets").mkdir(parents=True)
    (local.data_dir / "secrets" / "pii.key").write_text(key)  # the same key gives the same pseudonyms
    local.simulate(**sizes)
    for name in ("fact_order_line", "dim_customer", "dim_product"):
        a = remote.sql(f"SELECT * FROM {name}")
        b = local.sql(f"SELECT * FROM {name}")
        cols = list(b.columns)[:3]
        pd.testing.assert_frame_equal(a.sort_values(cols).reset_index(drop=True),
                                      b.sort_values(cols).reset_index(drop=True), check_like=True)
    assert remote.sql("SELECT count(*) FROM dim_customer").iloc[0, 0] > 0
    seqs = [b.seq for b in remote.batches()]
    assert seqs == sorted(set(seqs)) and len(seqs) > 1


_KILL_IN_COMMIT = """
import os, signal, sys
from shopops import Shop
from shopops.lake import Lake

def die(self, batch):  # every Parquet file has landed in its partition; the record is next
    os.kill(os.getpid(), signal.SIGKILL)

Lake._write_record = die
Shop.open(sys.argv[1]).ingest(sys.argv[2], table="order_lines")
"""


def test_kill_9_inside_the_commit_leaves_the_lake_as_it_was(s3_env: S3Server, tmp_path: Path):
    bucket = s3_env.new_bucket()
    uri = f"s3://{bucket}/shop"
    shop = Shop.open(uri)
    first = tmp_path / "first.csv"
    first.write_text(LINES)
    shop.ingest(first, table="order_lines")
    visible = [(b.batch_id, b.seq) for b in shop.batches()]
    rows = shop.sql("SELECT count(*) FROM fact_order_line").iloc[0, 0]
    second = tmp_path / "second.csv"
    second.write_text(LINES.replace("100", "200"))

    proc = subprocess.run([sys.executable, "-c", _KILL_IN_COMMIT, uri, str(second)], capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    landed = [k for k in _objects(s3_env, bucket) if "/batch=" in k and not any(b in k for b, _ in visible)]
    assert landed, "the killed ingest uploaded no partition, so the kill tested nothing"
    assert "shop/lake/_lease.json" in _objects(s3_env, bucket)  # the dead writer's lease
    assert [(b.batch_id, b.seq) for b in Lake(shop.data_dir).batches()] == visible
    assert Shop.open(uri).sql("SELECT count(*) FROM fact_order_line").iloc[0, 0] == rows

    # The next writer finds the lease's holder gone, removes the uncommitted partitions and completes.
    result = Shop.open(uri).ingest(second, table="order_lines")
    assert result.status == "committed"
    batches = Shop.open(uri).batches()
    assert [b.seq for b in batches] == sorted({b.seq for b in batches}) and len(batches) == 2
    record = json.loads((s3_env.root / bucket / "shop" / "lake" / "_batches" / f"{result.batch_id}.json").read_text())
    listed = {f"shop/lake/{f}" for info in record["tables"].values() for f in info.get("files", [])}
    on_server = {k for k in _objects(s3_env, bucket) if f"batch={result.batch_id}" in k and "/clean/" in k}
    assert on_server == {k for k in listed if "/clean/" in k}
    assert "shop/lake/_lease.json" not in _objects(s3_env, bucket)
    assert Shop.open(uri).sql("SELECT count(*) FROM fact_order_line").iloc[0, 0] == 2 * rows
