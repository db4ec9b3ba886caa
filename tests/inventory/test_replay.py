from __future__ import annotations

import numpy as np
import pytest

from shopops.errors import ShopopsError
from shopops.inventory import (
    BootstrapDemand,
    FillRatePolicy,
    MinMaxPolicy,
    compare_policies,
    frontier,
    replay_policy,
    stock_at,
)


def demand_matrix(n: int = 30, days: int = 300, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rates = rng.gamma(0.8, 2.0, n)[:, None]
    lumpy = rng.random((n, days)) < 0.3
    return np.asarray(rng.poisson(rates / 0.3, (n, days)) * lumpy, dtype=float)


def common(n: int) -> dict[str, np.ndarray]:
    return {"unit_cost": np.ones(n), "lead_mean": np.full(n, 5.0), "lead_sd": np.full(n, 1.0)}


def test_constant_demand_with_enough_stock_is_always_served() -> None:
    demand = np.full((4, 120), 3.0)
    res = replay_policy(MinMaxPolicy(10, 20), demand, start=30, **common(4))
    assert res.fill_rate == 1.0 and res.stockout_days == 0.0
    # Min 10 days of cover, max 20: stock averages about 15 days of demand.
    assert 4 * 3 * 8 < res.average_stock_value < 4 * 3 * 22


def test_no_stock_no_service() -> None:
    demand = np.full((3, 100), 2.0)
    res = replay_policy(MinMaxPolicy(0.0, 0.0), demand, start=20, **common(3))
    # max is forced one unit above min, so a trickle is served: far below any service level.
    assert res.fill_rate < 0.6
    assert res.per_product["lost"].sum() > 0


def test_same_seed_same_replay_other_seed_other_lead_times() -> None:
    demand = demand_matrix()
    pol = FillRatePolicy(0.9, np.full(30, 5.0), np.full(30, 2.0))
    a = replay_policy(pol, demand, start=100, seed=1, **common(30))
    b = replay_policy(pol, demand, start=100, seed=1, **common(30))
    c = replay_policy(pol, demand, start=100, seed=2, **common(30))
    assert a.summary() == b.summary()
    assert a.summary() != c.summary()


def test_higher_target_serves_more_with_more_stock() -> None:
    demand = demand_matrix()
    lo = replay_policy(FillRatePolicy(0.8, np.full(30, 5.0), np.full(30, 1.0)), demand, start=100, **common(30))
    hi = replay_policy(FillRatePolicy(0.98, np.full(30, 5.0), np.full(30, 1.0)), demand, start=100, **common(30))
    assert hi.fill_rate > lo.fill_rate and hi.average_stock_value > lo.average_stock_value
    assert hi.fill_rate > 0.9


def test_backorders_are_served_later_not_lost() -> None:
    demand = np.zeros((1, 60))
    demand[0, 40] = 50.0  # one large order far above the min/max levels
    demand[0, :30] = 1.0
    lost = replay_policy(MinMaxPolicy(5, 10), demand, start=30, warmup_days=0, **common(1))
    back = replay_policy(MinMaxPolicy(5, 10), demand, start=30, warmup_days=0, backorders=True, **common(1))
    assert lost.fill_rate == back.fill_rate < 0.5
    # With back-orders the shortfall is re-ordered (the position went negative), so more is bought.
    assert back.order_lines >= lost.order_lines


def test_replay_start_must_leave_history_and_future() -> None:
    with pytest.raises(ShopopsError, match="replay start"):
        replay_policy(MinMaxPolicy(1, 2), np.ones((2, 10)), start=10, **common(2))


def test_frontier_keeps_only_undominated_points() -> None:
    import pandas as pd

    pts = pd.DataFrame({"fill_rate": [0.9, 0.92, 0.95, 0.96], "average_stock_value": [100, 150, 120, 200]})
    front = frontier(pts)
    assert front["fill_rate"].tolist() == [0.9, 0.95, 0.96]
    assert stock_at(front, 0.925) == pytest.approx(110.0)
    assert np.isnan(stock_at(front, 0.99))


def test_comparison_ours_versus_tuned_minmax_on_lumpy_demand() -> None:
    # Stationary lumpy demand: no level or tail correction needed; both policies review daily.
    demand = demand_matrix(n=40, days=360)
    n = demand.shape[0]
    rng = np.random.default_rng(0)
    cmp = compare_policies(demand, start=120, unit_cost=rng.uniform(1, 50, n), lead_mean=np.full(n, 7.0),
                           lead_sd=np.full(n, 2.0), classes=np.array(["A", "B", "C", "C"] * 10),
                           targets=(0.7, 0.8, 0.85, 0.9, 0.95), min_days=(5, 10, 20, 40), max_ratios=(1.5, 2.0),
                           target_fill=0.9, review_days=1, sampler=BootstrapDemand(pool_share=0.0, level_days=0))
    assert set(cmp.points["policy"]) >= {"ours-pooled", "ours-per product", "minmax-static", "minmax-static-class",
                                           "minmax-monthly-class"}
    assert cmp.ours["fill_rate"].is_monotonic_increasing
    assert np.isfinite(cmp.stock_ours) and np.isfinite(cmp.stock_minmax)
    assert cmp.stock_ours < 0.95 * cmp.stock_minmax
