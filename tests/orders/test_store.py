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
