"""kill -9 of the real server (uvicorn through `shopops serve`) while clients post: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from shopops import Shop
from shopops.api import KeyStore
from shopops.lake import Lake
from shopops.monitor import HttpSender, landed_events

from .conftest import free_port


def _serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "shopops.cli", "serve", "--data", str(data_dir), "--port",
                             str(port)], stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            env={**os.environ, "COLUMNS": "200", "SHOPOPS_MONITOR_LAND_EVERY_S": "0.3"})
    deadline = time.monotonic() + 240  # a start takes 40 s on this machine when it is loaded
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    proc.wait(10)
    raise RuntimeError(f"the server did not answer: {log.read_text()[-2000:]}")


@pytest.mark.slow
def test_kill_9_of_the_server_during_posts(tmp_path: Path) -> None:
    data_dir = tmp_path / "shop"
    Shop.open(data_dir)
    key = KeyStore.for_data_dir(data_dir).create("ingest", "crash test")[1]
    port = free_port()
    log = tmp_path / "server.log"
    now = time.time()
    batches = [[{"event_id": f"h{b}-{i}", "type": "page_view", "ts": now, "session_id": f"s{i % 50}"}
                for i in range(250)] for b in range(30)]
    acked: list[int] = []
    answers: list[dict[str, int]] = []

    def poster() -> None:
        # The replay's sender: a batch not acknowledged (server killed) is sent again until it is taken.
        sender = HttpSender(f"http://127.0.0.1:{port}", key, timeout=10, attempts=None)
        for b, batch in enumerate(batches):
            answers.append(sender(batch))
            acked.append(b)
        sender.close()

    proc = _serve(data_dir, port, log)
    thread = threading.Thread(target=poster)
    thread.start()
    rng = np.random.default_rng(16)
    kills = 0
    try:
        for _ in range(2):  # the benchmark kills it ten times
            # Kill on observed progress, not after a sleep: once this server has taken 1-3 more batches, so the
            # kill always lands mid-stream however fast the machine is.
            target = len(acked) + int(rng.integers(1, 4))
            deadline = time.monotonic() + 60
            while len(acked) < target and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.001)
            if not thread.is_alive():
                break
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            assert 0 < len(acked) < len(batches), "the kill must land mid-stream"
            kills += 1
            proc = _serve(data_dir, port, log)
        thread.join(120)
        assert not thread.is_alive()
        total = sum(len(b) for b in batches)
        deadline = time.monotonic() + 60
        while landed_events(Lake(data_dir)).num_rows < total and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert kills == 2
    assert sorted(acked) == list(range(len(batches)))
    ids = landed_events(Lake(data_dir))["event_id"].to_pylist()
    assert len(set(ids)) == total, f"{total - len(set(ids))} acknowledged events lost"
    assert len(ids) == total, f"{len(ids) - len(set(ids))} events landed twice"
    # A batch resent after a kill is answered as repeats, not taken twice.
    assert sum(a["accepted"] for a in answers) <= total
    shop = Shop.open(data_dir)
    shop.build()
    n, distinct = shop.reader.frame("SELECT count(*), count(DISTINCT event_id) FROM fact_live_event").iloc[0]
    assert (n, distinct) == (total, total)
