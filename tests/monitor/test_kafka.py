"""The Kafka path against a real Kafka-protocol broker (Tansu), including kill -9 of the consumer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shopops.lake import Lake
from shopops.monitor import AlertBook, Monitor, consume, landed_events, landed_kafka_offsets, produce
from shopops.opstore import OperationalStore

from .conftest import Broker, free_port

T0 = time.time()


def orders(n: int, start: int = 0, prefix: str = "k") -> list[dict[str, object]]:
    return [{"event_id": f"{prefix}{i}", "type": "order_placed", "ts": T0, "order_id": f"o{i}", "amount": 3.0}
            for i in range(start, start + n)]


def landed_ids(data_dir: Path) -> list[str]:
    return list(landed_events(Lake(data_dir))["event_id"].to_pylist())


def test_consume_quarantines_bad_messages_and_moves_past_them(broker: Broker, tmp_path: Path) -> None:
    from confluent_kafka import Producer

    produce(broker.bootstrap, "shop", [orders(300)])
    p = Producer({"bootstrap.servers": broker.bootstrap, "partitioner": "murmur2_random"})
    p.produce("shop", value=b"{not json")
    p.produce("shop", value=b'{"event_id": "m1", "type": "order_placed", "ts": 1}')  # schema: no order_id, old
    p.produce("shop", value=b'[{"event_id": "arr1", "type": "order_paid", "ts": %d, "order_id": "z"}]' % int(T0))
    assert p.flush(30) == 0
    with Monitor(tmp_path, transport="kafka") as monitor:
        stats = consume(monitor, bootstrap=broker.bootstrap, topics=["shop"], group="g1", idle_exit_s=4)
    assert stats.messages == 303
    assert stats.landed == 301 and stats.quarantined == 2
    assert sum(stats.offsets.values()) == 303  # every offset moved on, bad messages included
    assert landed_kafka_offsets(Lake(tmp_path), "g1") == stats.offsets
    reasons = [r for path, _ in Lake(tmp_path).files("quarantine", "live_events")
               for r in pq.read_table(path)["_reason"].to_pylist()]
    assert any(r.startswith("not JSON") for r in reasons)
    assert any("needs order_id" in r or "too far" in r for r in reasons)
    mirrored = OperationalStore.for_data_dir(tmp_path).frame("SELECT sum(next_offset) AS n FROM monitor_offset")
    assert int(mirrored["n"][0]) == 303
    # A second run of the same group finds nothing new: it resumes from the offsets in the lake.
    with Monitor(tmp_path, transport="kafka") as monitor:
        again = consume(monitor, bootstrap=broker.bootstrap, topics=["shop"], group="g1", idle_exit_s=4)
    assert again.messages == 0
    assert len(landed_ids(tmp_path)) == 301


def _consumer(data_dir: Path, bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "shopops.cli", "monitor", "consume", "--data", str(data_dir),
                             "--bootstrap", bootstrap, "--topic", "crash", "--group", "crash", "--batch", "700",
                             "--idle-exit", "5"], stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            env={**os.environ, "COLUMNS": "200"})


def _batches(data_dir: Path) -> int:
    folder = data_dir / "lake" / "_batches"
    return len(list(folder.glob("*.json"))) if folder.is_dir() else 0


@pytest.mark.slow
def test_kill_9_of_the_consumer_loses_nothing_and_lands_nothing_twice(broker: Broker, tmp_path: Path) -> None:
    total = 30_000
    produce(broker.bootstrap, "crash", [orders(total)])
    data_dir = tmp_path / "d"
    log = tmp_path / "consumer.log"
    kills = 0
    for more in (2, 3, 2):  # kill -9 once this consumer has landed this many more batches, three times
        # Relative to what is landed, not absolute counts: the kill follows the consumer's own progress, so it
        # lands mid-stream however fast the machine is (30,000 events at 700 a batch are 43+ batches).
        target = _batches(data_dir) + more
        proc = _consumer(data_dir, broker.bootstrap, log)
        deadline = time.monotonic() + 90
        while _batches(data_dir) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            landed = len(landed_ids(data_dir))
            assert 0 < landed < total, f"the kill must land mid-stream, {landed} of {total} landed"
            kills += 1
    proc = _consumer(data_dir, broker.bootstrap, log)
    assert proc.wait(120) == 0, log.read_text()[-3000:]
    assert kills == 3, "the consumer finished before it could be killed three times"
    ids = landed_ids(data_dir)
    assert len(ids) == total, f"{total - len(set(ids))} lost, {len(ids) - len(set(ids))} doubled"
    assert len(set(ids)) == total
    from shopops import Shop

    shop = Shop.open(data_dir)
    shop.build()
    n, distinct = shop.reader.frame("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM fact_live_event").iloc[0]
    assert (n, distinct) == (total, total)


def test_unreachable_broker_is_reported_and_retried_without_spinning(tmp_path: Path) -> None:
    pytest.importorskip("confluent_kafka")
    port = free_port()  # nothing listens here
    seen: list[str] = []
    with Monitor(tmp_path, transport="kafka") as monitor:
        started = time.process_time()
        stats = consume(monitor, bootstrap=f"127.0.0.1:{port}", topics=["t"], group="g", idle_exit_s=4,
                        on_status=lambda s, _d: seen.append(s))
        cpu = time.process_time() - started
    assert stats.messages == 0
    assert "broker unreachable" in seen
    status = {r["component"]: r for r in AlertBook(OperationalStore.for_data_dir(tmp_path)).status()}
    assert status["consumer:g"]["status"] == "stopped"
    assert cpu < 3.0  # four seconds of waiting for a broker, not a busy loop


def test_broker_restart_that_loses_its_log_is_reported(tmp_path: Path) -> None:
    pytest.importorskip("confluent_kafka")
    port = free_port()
    b = Broker(f"127.0.0.1:{port}", port, log=tmp_path / "tansu.log")
    b.start()
    stop = threading.Event()
    seen: list[tuple[str, str]] = []
    monitor = Monitor(tmp_path / "d", transport="kafka").start()
    result: dict[str, object] = {}

    def run() -> None:
        result["stats"] = consume(monitor, bootstrap=b.bootstrap, topics=["r"], group="g", stop=stop,
                                  on_status=lambda s, d: seen.append((s, d)))

    thread = threading.Thread(target=run)
    try:
        produce(b.bootstrap, "r", [orders(400, prefix="a")])
        thread.start()
        deadline = time.monotonic() + 60
        while len(landed_ids(tmp_path / "d")) < 400 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(landed_ids(tmp_path / "d")) == 400
        b.stop()
        deadline = time.monotonic() + 60
        while not any(s == "broker unreachable" for s, _ in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(s == "broker unreachable" for s, _ in seen)
        b.start()  # same port, empty memory: the log the offsets point into is gone
        produce(b.bootstrap, "r", [orders(40, prefix="b")])
        deadline = time.monotonic() + 60
        while len(landed_ids(tmp_path / "d")) < 440 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(30)
        monitor.close()
        b.stop()
    assert any(s == "broker lost its log" for s, _ in seen), seen
    ids = landed_ids(tmp_path / "d")
    assert len(ids) == 440 and len(set(ids)) == 440
