"""Compaction of small landed batches and the alert history in the warehouse."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from shopops import Shop
from shopops.lake import Lake
from shopops.monitor import (
    AlertBook,
    EventIndex,
    Rule,
    check_events,
    compact_events,
    copy_alerts,
    finish_compaction,
    land_batch,
    landed_events,
    landed_kafka_offsets,
    landed_spool_position,
    monitor_batches,
)
from shopops.opstore import OperationalStore

NOW = time.time()


def small_batches(lake: Lake, n: int, per_batch: int = 5) -> None:
    """``n`` micro-batches as a Kafka consumer and the HTTP spool land them, some with refused events."""
    for b in range(n):
        items: list[object] = [{"event_id": f"b{b}-{i}", "type": "order_placed", "ts": NOW - 60, "order_id": f"o{b}",
                                "amount": 2.5} for i in range(per_batch)]
        if b % 3 == 0:
            items.append({"event_id": f"bad{b}", "type": "teleport", "ts": NOW})
        checked = check_events(items, now=NOW, max_age_s=86400, max_ahead_s=300, where=lambda i, b=b: f"t/{b}#{i}")
        position = {"kafka": {"group": "g", "offsets": {"t/0": b + 1, "t/1": 2 * b + 1}}} if b % 2 else \
            {"spool": {"segment": 1, "offset": 100 * b}}
        land_batch(lake, checked.events, checked.rejected, transport="kafka" if b % 2 else "http",
                   duplicates=0, position=position)


def state(lake: Lake) -> tuple[Counter[str], int, dict[str, int], tuple[int, int]]:
    """What a reader and a restarting consumer see: event ids, refused events, offsets and spool position."""
    quarantined = sum(pq.read_table(lake.root / rel).num_rows for b in monitor_batches(lake)
                      for rel in b.tables.get("live_events", {}).get("quarantine_files", []))
    return (Counter(landed_events(lake)["event_id"].to_pylist()), quarantined, landed_kafka_offsets(lake, "g"),
            landed_spool_position(lake))


def test_compaction_merges_small_batches_and_keeps_events_refusals_and_positions(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    small_batches(lake, 20)
    before = state(lake)
    assert len(monitor_batches(lake)) == 20 and max(before[0].values()) == 1 and before[1] == 7
    done = compact_events(lake, min_batches=8, max_rows=60)  # at most 60 rows a batch: several merged batches
    assert done.merged_batches == 20 and len(done.new_batches) >= 2 and done.events == 100 and done.quarantined == 7
    assert len(monitor_batches(lake)) == len(done.new_batches) == len(lake.batches())
    assert state(lake) == before
    assert before[2] == {"t/0": 20, "t/1": 39} and before[3] == (1, 1800)
    # Merged again with newer micro-batches: positions stay in landing order, the newest wins.
    small_batches(lake, 2, per_batch=1)
    assert landed_kafka_offsets(lake, "g") == {"t/0": 2, "t/1": 3}
    compact_events(lake, min_batches=2)
    assert len(monitor_batches(lake)) == 1 and landed_kafka_offsets(lake, "g") == {"t/0": 2, "t/1": 3}
    assert len(EventIndex.from_lake(lake)) == 100  # the two late batches repeat ids b0-0 and b1-0
    assert compact_events(lake).merged_batches == 0  # nothing small waiting


def test_a_crash_inside_a_compaction_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    small_batches(lake, 80, per_batch=20)
    before = state(lake)
    script = ("import sys; from shopops.lake import Lake; from shopops.monitor import compact_events; "
              "compact_events(Lake(sys.argv[1]), min_batches=2, max_rows=200)")
    # How long one whole compaction takes on this machine (on a copy of the lake), so that the kills land
    # inside the work on a fast machine as on a slow one.
    probe = tmp_path.parent / f"{tmp_path.name}-probe"
    shutil.copytree(tmp_path, probe)
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", script, str(probe)], env={**os.environ}, check=True, timeout=300)
    whole = time.monotonic() - started
    # A run that the kill missed compacted everything, and the next runs would find nothing to do: the lake
    # is put back to its small batches then, and the next kill comes earlier (the machine got faster).
    pristine = tmp_path.parent / f"{tmp_path.name}-pristine"
    shutil.copytree(tmp_path, pristine)
    rng = np.random.default_rng(5)
    kills, attempts, speed = 0, 0, 1.0
    while kills < 3 and attempts < 10:
        attempts += 1
        proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], env={**os.environ})
        time.sleep(float(rng.uniform(0.5, 0.95)) * whole * speed)  # past the imports, before the end
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(30)
        assert state(lake) == before  # whatever moment the kill hit, readers see every event once
        if not killed:
            shutil.rmtree(tmp_path)
            shutil.copytree(pristine, tmp_path)
            speed *= 0.7
    assert kills >= 1, f"no kill landed inside a compaction in {attempts} runs"
    with lake.writer_lock():
        lake.recover()
        finish_compaction(lake)
    assert state(lake) == before
    shop = Shop.open(tmp_path)
    shop.build()
    n, distinct = shop.reader.frame("SELECT count(*), count(DISTINCT event_id) FROM fact_live_event").iloc[0]
    assert n == distinct == 1600


def test_alert_history_reaches_the_warehouse(tmp_path: Path) -> None:
    shop = Shop.open(tmp_path)
    book = AlertBook(OperationalStore.for_data_dir(tmp_path))
    lake = Lake(tmp_path)
    assert copy_alerts(lake, book.store) == 0
    rule = Rule("orders-stopped", "orders", severity="critical")
    other = Rule("gmv-low", "gmv", kind="threshold", op="<", value=10.0)
    first = book.open_alert(rule, since=NOW - 900, clock=NOW, value=0.0, expected=8.0, p_value=1e-5,
                            summary="no orders for 15 min", silenced=False)
    book.open_alert(other, since=NOW - 300, clock=NOW, value=3.0, expected=None, p_value=None, summary="gmv 3",
                    silenced=True)
    assert first is not None
    assert copy_alerts(lake, book.store) == 2
    assert copy_alerts(lake, book.store) == 0  # nothing changed: nothing copied again
    book.acknowledge(first["alert_id"], "ops-anna")
    assert copy_alerts(lake, book.store) == 1
    shop.build()
    rows = shop.reader.frame("SELECT rule, state, acked_by, silenced, minutes_to_response FROM fact_alert "
                             "ORDER BY alert_id").to_dict(orient="records")
    assert [(r["rule"], r["state"], r["acked_by"], bool(r["silenced"])) for r in rows] == \
        [("orders-stopped", "acknowledged", "ops-anna", False), ("gmv-low", "firing", None, True)]
    assert rows[0]["minutes_to_response"] >= 0
    book.resolve(rule)
    assert copy_alerts(lake, book.store) == 1
    shop.refresh()
    assert shop.reader.frame("SELECT state FROM fact_alert WHERE rule = 'orders-stopped'").iloc[0, 0] == "resolved"


def test_between_the_merged_commit_and_the_clean_up_readers_see_each_event_once(tmp_path: Path) -> None:
    from shopops.monitor._compact import _merge

    lake = Lake(tmp_path)
    small_batches(lake, 6)
    before = state(lake)
    merged = _merge(lake, monitor_batches(lake))  # committed; the replaced batches are still there, as a crash leaves
    assert len(lake.batches()) == 7 and [b.batch_id for b in monitor_batches(lake)] == [merged.batch_id]
    assert state(lake) == before and len(EventIndex.from_lake(lake)) == 30
    shop = Shop.open(tmp_path)
    shop.build()
    assert shop.reader.frame("SELECT count(*) FROM fact_live_event").iloc[0, 0] == 30
    with lake.writer_lock():
        assert len(finish_compaction(lake)) == 6
    assert len(lake.batches()) == 1 and state(lake) == before
