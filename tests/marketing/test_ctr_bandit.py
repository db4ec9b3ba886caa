"""Click models against the simulator's true probabilities, and Thompson sampling's choices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopops.marketing import CtrModel, MarketingDataError, ThompsonAllocator, click_funnel, evaluate_ctr, run_thompson
from shopops.simulate import MarketingSimulation


def test_click_models_are_calibrated_and_near_the_ceiling(marketing_sim: MarketingSimulation) -> None:
    truth = marketing_sim.impression_truth["click_probability"].to_numpy()
    result = evaluate_ctr(marketing_sim.impressions, true_probability=truth, models=("hashed_logistic",))
    row = result.comparison.iloc[0]
    assert row["log_loss"] < row["base_log_loss"]
    assert row["auc"] > 0.65
    assert result.metrics["ceiling_auc"] - row["auc"] < 0.04
    # on a later period than it was calibrated on (creatives wear out meanwhile), each decile's mean
    # prediction stays within one base rate of its observed click rate
    assert row["ece"] < row["base_rate"]
    assert (result.bidding["max_cpm_bid"] == 1000 * result.bidding["expected_value_per_impression"]).all()


def test_conversions_are_modelled_through_the_clicks(marketing_sim: MarketingSimulation) -> None:
    log = marketing_sim.impressions
    clicks = click_funnel(log, "converted")
    assert clicks is not None and (clicks == log["clicked"].to_numpy()).all()
    assert click_funnel(log, "clicked") is None
    view_through = log.assign(converted=log["converted"].to_numpy() | ~log["clicked"].to_numpy())
    assert click_funnel(view_through, "converted") is None  # a conversion without a click: no funnel
    truth = marketing_sim.impression_truth["conversion_probability"].to_numpy()
    result = evaluate_ctr(log, target="converted", true_probability=truth, models=("hashed_logistic",))
    row = result.comparison.iloc[0]
    assert row["log_loss"] < row["base_log_loss"]
    assert row["auc"] > 0.65 and result.metrics["ceiling_auc"] - row["auc"] < 0.05


def test_lightgbm_model_beats_the_base_rate(marketing_sim: MarketingSimulation) -> None:
    log = marketing_sim.impressions.sort_values("ts").reset_index(drop=True)
    model = CtrModel(kind="lightgbm").fit(log.iloc[:80_000], log["clicked"].to_numpy()[:80_000])
    p = model.predict_proba(log.iloc[80_000:])
    assert p.min() > 0 and p.max() < 1
    assert abs(p.mean() - log["clicked"].iloc[80_000:].mean()) < 0.005
    with pytest.raises(MarketingDataError, match="single value"):
        CtrModel().fit(log.iloc[:2000], np.zeros(2000))
    with pytest.raises(MarketingDataError, match="not fitted"):
        CtrModel().predict_proba(log.iloc[:10])


def test_thompson_sampling_moves_traffic_to_the_best_arm_and_stops_losers() -> None:
    rates = np.array([0.010, 0.012, 0.030, 0.011])
    rng = np.random.default_rng(0)
    result = run_thompson(["a", "b", "c", "d"], lambda day, shown: rng.binomial(shown, rates), days=40,
                          impressions_per_day=3_000, seed=1)
    last_week = result.daily[result.daily["day"] >= 33].groupby("arm")["share"].mean()
    assert last_week.idxmax() == "c" and last_week["c"] > 0.9
    arms = result.arms.set_index("arm")
    assert pd.isna(arms.loc["c", "stopped_on_day"])
    assert result.metrics["stopped_arms"] >= 2  # losers with enough evidence are stopped, the rest starved
    assert arms.drop("c")["impressions"].sum() < 0.1 * arms["impressions"].sum()


def test_a_bandit_needs_two_arms() -> None:
    with pytest.raises(MarketingDataError, match="at least two arms"):
        ThompsonAllocator(["only"])
