"""Response curves and budget allocation against the simulator's known truth; bad spend and bad bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopops.marketing import (
    ChannelCurve,
    LinearBudgetConstraint,
    MarketingDataError,
    allocate_budget,
    expected_outcome,
    fit_response_curves,
    read_budget_rules,
    recommend_budget,
)
from shopops.simulate import MarketingSimulation


def _truth(sim: MarketingSimulation) -> dict[str, ChannelCurve]:
    return {c.channel: ChannelCurve(c.channel, True, decay=c.decay, beta=c.beta, half=c.half, shape=c.shape,
                                    current_daily_spend=c.current_daily_spend) for c in sim.channels}


def test_curves_recover_carry_over_and_response(marketing_sim: MarketingSimulation) -> None:
    curves = fit_response_curves(marketing_sim.daily_channels())
    for true in marketing_sim.channels:
        fit = curves[true.channel]
        assert fit.identified
        assert abs(fit.decay - true.decay) <= 0.15
        at = true.current_daily_spend
        # the expected conversions at the habitual spend are within 25 % of the truth
        assert float(fit.response(at)) == pytest.approx(float(true.conversions(at)), rel=0.25)


def test_allocation_near_oracle_and_above_habits(marketing_sim: MarketingSimulation) -> None:
    result = recommend_budget(marketing_sim.daily_channels(), None, days=30, draws=50)
    truth = _truth(marketing_sim)
    names = list(result.allocation["channel"])
    true_curves = [truth[n] for n in names]
    total = result.params["total"]
    got = expected_outcome(true_curves, result.allocation["recommended_spend"].to_numpy(), 30)[0]
    oracle = allocate_budget(truth, total, days=30, max_extrapolation=None)
    best = expected_outcome(true_curves, np.array([oracle.spend[n] for n in names]), 30)[0]
    current = expected_outcome(true_curves, result.allocation["current_spend"].to_numpy(), 30)[0]
    assert result.allocation["recommended_spend"].sum() == pytest.approx(total, rel=1e-9)
    assert got >= 0.9 * best
    assert got > current
    assert result.metrics["conversions_low"] <= result.metrics["expected_conversions"] <= \
        result.metrics["conversions_high"]
    assert (result.allocation["marginal_conversions_per_1000"] >= 0).all()
    assert set(result.curves["channel"]) == set(names)


def test_constraints_hold(marketing_sim: MarketingSimulation) -> None:
    curves = fit_response_curves(marketing_sim.daily_channels())
    names = list(curves)
    total = 60_000.0
    rule = LinearBudgetConstraint({names[0]: 1.0, names[1]: 1.0}, "<=", 15_000.0, "first two capped")
    alloc = allocate_budget(curves, total, days=30, bounds={names[2]: (8_000.0, 12_000.0)},
                            fixed={names[3]: 5_000.0}, constraints=[rule])
    spend = alloc.spend
    assert sum(spend.values()) == pytest.approx(total, rel=1e-9)
    assert 8_000.0 - 1e-6 <= spend[names[2]] <= 12_000.0 + 1e-6
    assert spend[names[3]] == pytest.approx(5_000.0)
    assert spend[names[0]] + spend[names[1]] <= 15_000.0 + 1e-3
    assert names[3] in alloc.fixed


def test_bounds_that_cannot_hold_are_refused(marketing_sim: MarketingSimulation) -> None:
    curves = fit_response_curves(marketing_sim.daily_channels())
    names = list(curves)
    with pytest.raises(MarketingDataError, match="minimums and fixed channels add up to"):
        allocate_budget(curves, 10_000.0, bounds={names[0]: (6_000.0, None), names[1]: (6_000.0, None)})
    with pytest.raises(MarketingDataError, match=r"min .* and max .* cannot hold"):
        allocate_budget(curves, 10_000.0, bounds={names[0]: (5_000.0, 1_000.0)})
    with pytest.raises(MarketingDataError, match="unknown channel"):
        allocate_budget(curves, 10_000.0, bounds={"telepathy": (0.0, 1.0)})
    with pytest.raises(MarketingDataError, match="positive"):
        allocate_budget(curves, -5.0)


def _daily(days: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-01", periods=days)
    spend = np.repeat(rng.choice([100.0, 300.0, 600.0], days // 7 + 1), 7)[:days]
    varied = pd.DataFrame({"date": dates, "channel": "search", "spend": spend,
                           "conversions": rng.poisson(20 * spend / (spend + 300))})
    flat = pd.DataFrame({"date": dates, "channel": "radio", "spend": 250.0, "conversions": rng.poisson(5, days)})
    return pd.concat([varied, flat], ignore_index=True)


def test_a_channel_with_one_level_of_spend_keeps_its_budget() -> None:
    result = recommend_budget(_daily(), 40_000.0, days=30, draws=20)
    radio = result.allocation.set_index("channel").loc["radio"]
    assert not radio["identified"] and radio["fixed"]
    assert radio["recommended_spend"] == pytest.approx(250.0 * 30)
    assert "one level of spend" in radio["why"]
    assert any("radio" in w for w in result.warnings)


@pytest.mark.parametrize(("value", "message"), [(-10.0, "negative"), (np.nan, "missing")])
def test_bad_spend_is_refused_with_the_day(value: float, message: str) -> None:
    daily = _daily()
    daily.loc[5, "spend"] = value
    with pytest.raises(MarketingDataError, match=rf"spend is {message} on 1 day.*search 2024-01-06"):
        fit_response_curves(daily)


def test_days_without_spend_count_as_zero() -> None:
    daily = _daily()
    gappy = daily[~((daily["channel"] == "search") & daily["date"].dt.day.isin([3, 4, 5]))]
    curves = fit_response_curves(gappy)
    assert curves["search"].days == 120  # the missing days are back, as zero spend
    assert curves["search"].identified


def test_bounds_file_json_and_csv(tmp_path) -> None:
    good = tmp_path / "rules.json"
    good.write_text('{"bounds": {"search": [100, null]}, "fixed": {"radio": 500}, '
                    '"constraints": [{"coefficients": {"search": 1}, "op": "<=", "value": 9000}]}')
    rules = read_budget_rules(good)
    assert rules["bounds"]["search"] == (100.0, None) and rules["fixed"] == {"radio": 500.0}
    assert rules["constraints"][0].op == "<="
    csv = tmp_path / "rules.csv"
    csv.write_text("channel,min,max\nsearch,10,\nradio,,99\n")
    assert read_budget_rules(csv)["bounds"] == {"search": (10.0, None), "radio": (None, 99.0)}
    bad = tmp_path / "bad.json"
    bad.write_text('{"bounds": {"search": 5}}')
    with pytest.raises(MarketingDataError, match="bad bounds file"):
        read_budget_rules(bad)
