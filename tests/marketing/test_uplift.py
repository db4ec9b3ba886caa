"""Uplift targeting on the real Hillstrom experiment and on the simulator's known effects; refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopops.marketing import (
    HILLSTROM_FEATURES,
    MarketingDataError,
    UpliftModel,
    load_hillstrom,
    prepare_experiment,
    target_uplift,
)
from shopops.simulate import MarketingSimulation


@pytest.fixture(scope="module")
def hillstrom(hillstrom_path: Path) -> pd.DataFrame:
    return load_hillstrom(hillstrom_path)


def test_hillstrom_adapter_keeps_the_published_arms(hillstrom: pd.DataFrame) -> None:
    assert len(hillstrom) == 64_000
    counts = hillstrom["arm"].value_counts()
    assert counts["womens_email"] == 21_387 and counts["control"] == 21_306 and counts["mens_email"] == 21_307
    visit = hillstrom.groupby("arm")["visited"].mean()
    assert visit["womens_email"] == pytest.approx(0.15140, abs=5e-5)
    assert visit["control"] == pytest.approx(0.10617, abs=5e-5)


def test_womens_visit_uplift_ranks_well_on_the_holdout(hillstrom: pd.DataFrame) -> None:
    experiment = prepare_experiment(hillstrom, outcome="visited", features=HILLSTROM_FEATURES,
                                    treatment="womens_email")
    result = target_uplift(experiment, seed=42, cost_per_contact=0.05, value_per_response=1.0)
    scores = result.comparison.set_index("method")
    # every method ranks better than random (Qini AUC 0) and the default is not the worst
    assert (scores["qini_auc"] > 0.02).all()
    assert scores.loc["interaction", "qini_auc"] >= scores["qini_auc"].min()
    # the top 30 % are moved more than the average customer (average effect 0.045)
    assert result.metrics["uplift_at_30"] > result.metrics["average_effect"]
    assert result.qini["model"].iloc[50] > result.qini["random"].iloc[50]
    targets = result.targets
    assert targets["estimated_uplift"].is_monotonic_decreasing
    assert 0 < len(targets) < len(experiment.outcome)
    assert targets["reasons"].str.contains(r"\(\+\)|\(−\)").all()
    assert result.params["top_share"] == pytest.approx(
        result.profit.loc[result.profit["incremental_profit"].idxmax(), "top_share"])


def test_simulated_effects_are_found(marketing_sim: MarketingSimulation) -> None:
    contacts = marketing_sim.contacts
    experiment = prepare_experiment(contacts, outcome="visited",
                                    features=["recency_days", "frequency", "monetary", "audience"])
    model = UpliftModel().fit(experiment.features, experiment.treatment, experiment.outcome)
    uplift = pd.Series(model.predict(experiment.features)).groupby(contacts["audience"]).mean()
    truth = marketing_sim.truth.query("kind == 'audience'").set_index("subject")["value"]
    # lapsed customers and bargain hunters are moved most and big spenders least, as the simulator made them
    assert set(uplift.nlargest(2).index) == set(truth.nlargest(2).index) == {"lapsed_customers", "bargain_hunters"}
    assert uplift.idxmin() == truth.idxmin() == "big_spenders"
    assert np.corrcoef(uplift.loc[truth.index], truth)[0, 1] > 0.8


def _frame(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"customer_id": [f"C{k}" for k in range(n)], "arm": np.where(rng.random(n) < 0.5, "email",
                         "control"), "randomised": True, "visited": rng.random(n) < 0.2, "x": rng.normal(size=n)})


def test_single_arm_is_refused() -> None:
    frame = _frame().assign(arm="email")
    with pytest.raises(MarketingDataError, match="single arm"):
        prepare_experiment(frame, outcome="visited", features=["x"])


def test_no_randomised_control_is_refused() -> None:
    frame = _frame().replace({"arm": {"control": "sms"}})
    with pytest.raises(MarketingDataError, match="no randomised control"):
        prepare_experiment(frame, outcome="visited", features=["x"])
    chosen = _frame().assign(randomised=False)
    with pytest.raises(MarketingDataError, match="not assigned at random"):
        prepare_experiment(chosen, outcome="visited", features=["x"])
    with pytest.raises(MarketingDataError, match="no 'randomised' column"):
        prepare_experiment(_frame().drop(columns=["randomised"]), outcome="visited", features=["x"])


def test_missing_columns_and_outcomes_are_named() -> None:
    with pytest.raises(MarketingDataError, match=r"lacks the column\(s\) \['y'\]"):
        prepare_experiment(_frame(), outcome="y", features=["x"])
    bad = _frame().astype({"visited": object})
    bad.loc[3, "visited"] = "yes?"
    with pytest.raises(MarketingDataError, match="missing or not a number on 1 rows"):
        prepare_experiment(bad, outcome="visited", features=["x"])
