"""A build killed with kill -9: the old warehouse keeps serving, and every surface says it is behind the lake."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from shopops import Shop
from shopops.cli import app
from shopops.warehouse import WAREHOUSE_FILE
from tests.service.conftest import make_service

SMALL = """order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id
1001,1,2024-03-01 10:00,SKU-1,2,9.99,C1
1002,1,2024-03-02 11:30,SKU-1,1,9.99,C2
"""


def _big(path: Path, n: int = 400_000) -> Path:
    i = np.arange(n)
    pq.write_table(pa.table({
        "order_id": pa.array([f"B{k}" for k in i // 3]), "line_no": pa.array(i % 3 + 1),
        "ordered_at": pa.array((np.datetime64("2024-04-01T10:00:00", "s") + (i % 300).astype("timedelta64[D]"))
                               .astype("datetime64[s]")),
        "product_id": pa.array([f"SKU-{k % 700}" for k in i]), "quantity": pa.array(1 + i % 4),
        "unit_price": pa.array(2.5 + i % 9, pa.float64()), "customer_id": pa.array([f"C{k % 9000}" for k in i]),
    }), path)
    return path


def test_kill_9_mid_build_is_visible_everywhere_and_the_next_ingest_says_it_rebuilt(tmp_path: Path) -> None:
    data = tmp_path / "d"
    shop = Shop.open(data)
    small = tmp_path / "small.csv"
    small.write_text(SMALL)
    shop.ingest(small, table="order_lines")
    assert shop.status().message() is None
    big = _big(tmp_path / "big.parquet")
    shop.ingest(big, table="order_lines", build=False)  # committed to the lake; the build comes next
    old = shop.warehouse_path.stat().st_ino

    code = f"from shopops import Shop; Shop.open({str(data)!r}).build()"
    proc = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH="src"))
    building = data / f"{WAREHOUSE_FILE}.building"
    deadline = time.time() + 60
    while time.time() < deadline and not building.exists():
        time.sleep(0.005)
    assert building.exists(), "the build never started"
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert shop.warehouse_path.stat().st_ino == old  # the old warehouse is untouched ...

    status = Shop.open(data).status()  # ... and known to be behind the lake
    assert status.stale and status.missing_batches == 1 and status.building
    assert "1 ingested batch not in it yet" in (status.message() or "")

    result = CliRunner().invoke(app, ["kpi", "--data", str(data), "--format", "csv"])
    assert result.exit_code == 0
    assert "warning: the warehouse" in result.output and "run `shopops build`" in result.output

    svc = make_service(Shop.open(data))
    with svc.client:
        response = svc.get("/api/v1/kpis")
        health = svc.get("/api/v1/health", role=None).json()
    assert response.status_code == 200
    assert "older than the lake" in response.headers["x-warehouse-stale"]
    assert response.headers["x-warehouse-missing-batches"] == "1"
    assert health["stale"] is True and health["missing_batches"] == 1

    again = Shop.open(data).ingest(big, table="order_lines")  # already in the lake: only the build was missing
    assert again.status == "skipped"
    assert any("has been rebuilt" in w for w in again.warnings)
    assert Shop.open(data).status().message() is None
    assert not building.exists()
    with svc.client:
        assert "x-warehouse-stale" not in svc.get("/api/v1/kpis").headers


def test_a_waiting_writer_says_so(tmp_path: Path) -> None:
    data = tmp_path / "d"
    shop = Shop.open(data)
    small = tmp_path / "small.csv"
    small.write_text(SMALL)
    steps: list[str] = []
    lake = __import__("shopops.lake", fromlist=["Lake"]).Lake(data)
    import threading

    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with lake.writer_lock():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    timer = threading.Timer(0.5, release.set)
    timer.start()
    shop.ingest(small, table="order_lines", on_step=steps.append)
    holder.join()
    assert any(s.startswith("waiting for another writer") for s in steps)
    assert any(s.startswith("lock acquired after") for s in steps)
