from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shopops.opstore import OperationalStore
from shopops.orders import DecisionConflictError, DecisionStore, UnknownOrderError


def decisions(ids: list[str], action: str = "hold") -> pd.DataFrame:
    return pd.DataFrame({"order_id": ids, "ordered_at": pd.Timestamp("2025-01-02 10:00"), "action": action,
                         "reason": "fraud_risk", "rule": "r", "flags": "", "risk": 0.7, "late_risk": 0.1,
                         "delivery_days_p50": 2.0, "delivery_days_p90": 4.0, "reasons": "risk: order_value",
                         "model_version": "v1", "rules_source": "default"})


def test_decisions_are_stored_once_and_reviews_are_idempotent(tmp_path: Path) -> None:
    store = DecisionStore(OperationalStore.for_data_dir(tmp_path))
    assert store.record(decisions(["1", "2"])) == 2
    assert store.record(decisions(["2", "3"], action="approve")) == 1  # order 2 is not decided twice
    assert store.get("2")["action"] == "hold" and store.get("3")["review_status"] == "auto"
    assert list(store.queue().order_id) == ["1", "2"]
    row, changed = store.review("1", "approve", "ann")
    assert changed and row["review_status"] == "approved" and row["reviewed_by"] == "ann"
    _, changed = store.review("1", "approve", "bob")
    assert not changed and store.get("1")["reviewed_by"] == "ann"
    with pytest.raises(DecisionConflictError, match="already approved"):
        store.review("1", "cancel", "bob")
    with pytest.raises(UnknownOrderError):
        store.review("404", "approve", "ann")
    assert list(store.queue().order_id) == ["2"]
    # The store survives a new process (a new DecisionStore on the same file).
    assert len(DecisionStore(OperationalStore.for_data_dir(tmp_path)).all()) == 3


def test_one_checkout_decision_is_stored_as_the_batch_stores_it(tmp_path: Path) -> None:
    batch, one = (DecisionStore(OperationalStore.for_data_dir(tmp_path / name)) for name in ("batch", "one"))
    frame = pd.concat([decisions(["1"]), decisions(["2"], action="approve").assign(late_risk=float("nan"))],
                      ignore_index=True)
    assert batch.record(frame) == 2
    assert [one.record_one(row) for row in frame.to_dict("records")] == [True, True]
    assert not one.record_one({**frame.iloc[0].to_dict(), "action": "approve"})  # decided before: kept
    keep = [c for c in batch.all().columns if c != "decided_at"]
    pd.testing.assert_frame_equal(one.all()[keep], batch.all()[keep])
    assert one.get("2")["late_risk"] is None and one.get("1")["review_status"] == "pending"
    assert one.get("1")["ordered_at"] == "2025-01-02T10:00:00"


def test_writers_of_one_process_queue_on_one_lock_instead_of_sqlite_sleeps(tmp_path: Path) -> None:
    import threading

    store = DecisionStore(OperationalStore(OperationalStore.for_data_dir(tmp_path).path, per_thread=True))
    rows = decisions([str(i) for i in range(400)]).to_dict("records")
    stored: list[bool] = []

    def write(part: list[dict]) -> None:
        # No SQLite busy wait at all: a writer that met another's open transaction would fail at once.
        store.store.thread_connection().execute("PRAGMA busy_timeout = 0")
        stored.extend(store.record_one(r) for r in part)

    threads = [threading.Thread(target=write, args=(rows[i::20],)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stored) == 400 and all(stored) and len(store.all()) == 400
    other = OperationalStore.for_data_dir(tmp_path)  # a second handle on the same file shares the lock
    assert other._write_lock is store.store._write_lock
