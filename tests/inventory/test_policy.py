from __future__ import annotations

import numpy as np
import pytest

from shopops.errors import ShopopsError
from shopops.inventory import (
    BootstrapDemand,
    LeadTimeDemand,
    PathDemand,
    classic_levels,
    expected_fill,
    newsvendor_quantity,
    order_up_to_for_fill,
    pooled_levels,
    round_order,
)


def poisson_ltd(rates: list[float], lead: int = 10, review: int = 7, m: int = 4000, seed: int = 1) -> LeadTimeDemand:
    rng = np.random.default_rng(seed)
    lam = np.asarray(rates)[:, None]
    d_lead = rng.poisson(lam * lead, (len(rates), m)).astype(float)
    d_review = rng.poisson(lam * review, (len(rates), m)).astype(float)
    return LeadTimeDemand(d_lead, d_lead + d_review, np.asarray(rates, float))


def test_order_up_to_is_the_smallest_level_reaching_the_fill_rate() -> None:
    ltd = poisson_ltd([0.2, 3.0, 40.0])
    level = order_up_to_for_fill(ltd, 0.95)
    assert np.all(expected_fill(ltd, level) >= 0.95)
    assert np.all(expected_fill(ltd, level - 1) < 0.95)
    # Higher targets never need less stock.
    assert np.all(order_up_to_for_fill(ltd, 0.99) >= level)


def test_fill_rate_target_outside_zero_one_is_refused() -> None:
    with pytest.raises(ShopopsError, match="between 0 and 1"):
        order_up_to_for_fill(poisson_ltd([1.0]), 1.0)


def test_pooled_levels_reach_the_overall_fill_with_less_stock_value() -> None:
    ltd = poisson_ltd([0.3, 1.0, 5.0, 20.0, 0.5, 8.0])
    cost = np.array([50.0, 1.0, 2.0, 0.5, 80.0, 5.0])
    pooled = pooled_levels(ltd, cost, 0.95)
    shortage = (1 - expected_fill(ltd, pooled)) * ltd.review
    assert 1 - shortage.sum() / ltd.review.sum() >= 0.95
    same = order_up_to_for_fill(ltd, 0.95)
    assert pooled @ cost < same @ cost
    # The expensive slow movers get the lower fill rates.
    fills = expected_fill(ltd, pooled)
    assert fills[4] < fills[3] and fills[0] < fills[1]


def test_round_order_respects_moq_and_packs() -> None:
    qty = round_order(np.array([0.0, 1.0, 13.0, 40.0]), np.array([10, 10, 10, 10]), np.array([6, 6, 1, 12]))
    assert qty.tolist() == [0, 12, 13, 48]


def test_bootstrap_sums_consecutive_days_over_the_sampled_lead_time() -> None:
    history = np.tile([2.0, 2.0, 2.0, 2.0, 2.0, 0.0, 0.0], 20)[None, :]  # 10 a week, nothing at weekends
    ltd = BootstrapDemand(window_days=140, n_samples=2000, pool_share=0.0, level_days=0).sample(
        history, np.array([7.0]), np.array([0.0]), np.array([7]))
    assert np.allclose(ltd.lead, 10) and np.allclose(ltd.lead_review, 20)
    ltd = BootstrapDemand(window_days=140, n_samples=2000, pool_share=0.0, level_days=0).sample(
        history, np.array([3.0]), np.array([0.0]), np.array([1]))
    # Three consecutive days hold 2, 4 or 6 units depending on the weekday, never another value.
    assert set(np.unique(np.round(ltd.lead, 9))) == {2.0, 4.0, 6.0}


def test_bootstrap_level_follows_a_recent_rise() -> None:
    history = np.concatenate([np.ones(154), np.full(28, 3.0)])[None, :]
    ltd = BootstrapDemand(pool_share=0.0, level_days=28).sample(history, np.array([10.0]), np.array([0.0]),
                                                                 np.array([7]))
    assert ltd.daily_mean[0] == pytest.approx(3.0)
    assert ltd.lead_review.mean() == pytest.approx(51.0, rel=0.1)


def test_path_demand_needs_paths_long_enough() -> None:
    paths = np.ones((2, 50, 10))
    ltd = PathDemand(paths).sample(np.zeros((2, 1)), np.array([4.0, 4.0]), np.array([0.0, 0.0]), np.array([3, 3]))
    assert np.all(ltd.lead == 4) and np.all(ltd.lead_review == 7)
    with pytest.raises(ShopopsError, match="forecast a longer horizon"):
        PathDemand(paths).sample(np.zeros((2, 1)), np.array([9.0, 9.0]), np.array([0.0, 0.0]), np.array([7, 7]))


def test_classic_safety_stock_formula() -> None:
    safety, up_to = classic_levels(np.array([10.0]), np.array([3.0]), np.array([9.0]), np.array([2.0]),
                                   np.array([7]), 0.95)
    sigma = np.sqrt(16 * 9 + 100 * 4)
    assert safety[0] == pytest.approx(1.6448536 * sigma, rel=1e-6)
    assert up_to[0] == np.ceil(160 + safety[0])


def test_newsvendor_takes_the_critical_ratio_quantile() -> None:
    demand = np.arange(1, 101, dtype=float)[None, :]
    qty, ratio = newsvendor_quantity(demand, np.array([10.0]), np.array([7.5]))
    assert ratio[0] == pytest.approx(0.25)
    assert qty[0] == 25
    with pytest.raises(ShopopsError, match="below its cost"):
        newsvendor_quantity(demand, np.array([5.0]), np.array([7.5]))
