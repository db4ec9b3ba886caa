"""Replay a replenishment policy over a demand history, day by day, for all products at once.

Every day: goods due today arrive, demand is served from stock (the rest is lost, or back-ordered),
and the products due for review order up to their level when their stock position (on hand plus on
order) is at or below their reorder point, rounded to MOQ and case packs. Lead times are drawn once
per (product, day) before the replay, so every policy meets the same lead times (common random
numbers) and differences come from the policy alone. Policies only see the history up to the day
they decide on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from shopops.errors import ShopopsError
from shopops.inventory._demand import BootstrapDemand, DemandSampler, draw_lead_times
from shopops.inventory._policy import order_up_to_for_fill, pooled_levels, round_order

__all__ = ["FillRatePolicy", "MinMaxPolicy", "Policy", "ReplayResult", "replay_policy"]


class Policy(Protocol):
    """What the replay asks of a policy."""

    name: str
    review_days: int
    replan_days: int | None  # None: the levels set before the replay stay fixed

    def levels(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reorder point and order-up-to level per product, from the daily history so far."""
        ...


@dataclass
class FillRatePolicy:
    """Periodic review (R, S): order up to the smallest level whose expected fill rate reaches the target.

    The level comes from joint samples of demand over the lead time plus review period
    (:class:`~shopops.inventory.BootstrapDemand` of the recent history by default), so it adapts to
    each product's volume, lumpiness and lead-time variability.
    """

    target: float
    lead_mean: np.ndarray
    lead_sd: np.ndarray
    review_days: int = 7
    demand: DemandSampler = field(default_factory=BootstrapDemand)
    replan_days: int | None = 7
    unit_cost: np.ndarray | None = None
    name: str = "fill-rate (R,S)"

    def levels(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reorder point ``S - 1`` (order whenever below the level) and the level ``S``.

        With ``unit_cost`` set, the target is the overall fill rate, reached with the least stock
        value (:func:`~shopops.inventory.pooled_levels`); otherwise every product reaches it.
        """
        review = np.full(history.shape[0], self.review_days)
        ltd = self.demand.sample(history, self.lead_mean, self.lead_sd, review)
        if self.unit_cost is not None:
            up_to = pooled_levels(ltd, self.unit_cost, self.target)
        else:
            up_to = order_up_to_for_fill(ltd, self.target)
        return up_to - 1, up_to


@dataclass
class MinMaxPolicy:
    """The static min/max rule of ERPs (Odoo/ERPNext reordering rules), reviewed daily.

    ``min = min_days × mean daily demand`` and ``max = max_days × mean daily demand``, the mean taken
    over the history before the replay (``replan_days=None``: fixed for the whole replay, as in an
    ERP) or over the last ``window_days`` every ``replan_days`` (a diligent planner's monthly update).
    ``min_days``/``max_days`` may be arrays (per product, e.g. per ABC/XYZ class).
    """

    min_days: np.ndarray | float
    max_days: np.ndarray | float
    replan_days: int | None = None
    window_days: int = 91
    review_days: int = 1
    name: str = "min/max"

    def levels(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Min and max per product."""
        mean = history[:, -self.window_days:].mean(axis=1) if self.replan_days else history.mean(axis=1)
        low = np.ceil(mean * self.min_days)
        high = np.maximum(np.ceil(mean * self.max_days), low + 1)
        return low, high


@dataclass(frozen=True)
class ReplayResult:
    """What a replay measured (over the evaluated days, after the warm-up)."""

    policy: str
    fill_rate: float
    cycle_service_level: float
    stockout_days: float
    average_stock_value: float
    turnover: float
    order_lines: int
    total_cost: float
    holding_cost: float
    ordering_cost: float
    shortage_cost: float
    days: int
    per_product: dict[str, np.ndarray]

    def summary(self) -> dict[str, float | int | str]:
        """The headline numbers as a flat dict."""
        return {k: v for k, v in self.__dict__.items() if k != "per_product"}


def replay_policy(
    policy: Policy,
    demand: np.ndarray,
    *,
    start: int,
    unit_cost: np.ndarray,
    lead_mean: np.ndarray,
    lead_sd: np.ndarray,
    moq: np.ndarray | None = None,
    case_pack: np.ndarray | None = None,
    holding_rate: float = 0.25,
    order_cost: float = 10.0,
    shortage_cost: np.ndarray | float = 0.0,
    warmup_days: int | None = None,
    backorders: bool = False,
    seed: int = 0,
) -> ReplayResult:
    """Replay ``policy`` over ``demand`` from day ``start`` and measure service and stock.

    Parameters
    ----------
    policy : Policy
        The policy (see :class:`FillRatePolicy`, :class:`MinMaxPolicy`).
    demand : ndarray, shape (n, days)
        Daily demand per product; days before ``start`` are history only.
    start : int
        First replayed day. Each product starts with its policy's order-up-to level on hand.
    unit_cost, lead_mean, lead_sd : ndarray, shape (n,)
        Cost per unit and lead time (days) per product.
    moq, case_pack : ndarray or None
        Minimum order quantity and case pack per product (1 when None).
    holding_rate : float
        Yearly holding cost as a share of the stock value.
    order_cost : float
        Cost of placing one order line.
    shortage_cost : float or ndarray
        Cost per unit of demand not served from stock.
    warmup_days : int or None
        Days not measured at the start (default: the longest mean lead time plus two weeks).
    backorders : bool
        Unserved demand waits for the next arrival instead of being lost.
    seed : int
        Seed of the lead-time draws (the same seed gives every policy the same lead times).
    """
    n, days = demand.shape
    if not 0 < start < days:
        raise ShopopsError(f"replay start day {start} must leave history before it and days after it "
                           f"(demand covers {days} days)")
    ones = np.ones(n)
    moq = ones if moq is None else moq
    case_pack = ones if case_pack is None else case_pack
    lead = draw_lead_times(lead_mean, lead_sd, days, np.random.default_rng(seed))
    warmup = int(np.ceil(np.max(lead_mean))) + 14 if warmup_days is None else warmup_days
    measured_from = min(start + warmup, days - 1)

    arrivals = np.zeros((n, days + int(lead.max()) + 1))
    reorder, up_to = policy.levels(demand[:, :start])
    net = up_to.astype(float).copy()  # on hand (negative = back-ordered units)
    on_order = np.zeros(n)
    served_total = np.zeros(n)
    lost_total = np.zeros(n)
    demand_total = np.zeros(n)
    stock_value_sum = np.zeros(n)
    stockout_days = np.zeros(n)
    weeks_with_demand = np.zeros(n)
    weeks_short = np.zeros(n)
    week_short = np.zeros(n, dtype=bool)
    order_lines = 0
    for t in range(start, days):
        arrived = arrivals[:, t]
        net += arrived
        on_order -= arrived
        d = demand[:, t]
        served = np.minimum(d, np.maximum(net, 0.0))
        net = net - d if backorders else net - served
        measured = t >= measured_from
        if measured:
            served_total += served
            lost_total += d - served
            demand_total += d
            on_hand = np.maximum(net, 0.0)
            stock_value_sum += on_hand * unit_cost
            stockout_days += on_hand <= 0
            week_short |= served < d
            if (t - measured_from) % 7 == 6:
                week_demand = demand[:, t - 6:t + 1].sum(axis=1) > 0
                weeks_with_demand += week_demand
                weeks_short += week_demand & week_short
                week_short[:] = False
        if policy.replan_days and (t - start) % policy.replan_days == policy.replan_days - 1:
            reorder, up_to = policy.levels(demand[:, :t + 1])
        if (t - start) % policy.review_days == 0:
            position = net + on_order
            need = np.flatnonzero(position <= reorder)
            if need.size:
                qty = round_order(up_to[need] - position[need], moq[need], case_pack[need])
                placed = need[qty > 0]
                qty = qty[qty > 0]
                arrivals[placed, t + lead[placed, t]] += qty
                on_order[placed] += qty
                if measured:
                    order_lines += int(placed.size)
    n_days = days - measured_from
    years = n_days / 365.0
    value_per_product = stock_value_sum / max(n_days, 1)
    avg_value = float(value_per_product.sum())
    holding = avg_value * holding_rate * years
    ordering = order_lines * order_cost
    shortage = float(np.sum(lost_total * shortage_cost))
    cogs = float(served_total @ unit_cost)
    demand_sum = float(demand_total.sum())
    return ReplayResult(
        policy=policy.name,
        fill_rate=float(served_total.sum() / demand_sum) if demand_sum > 0 else 1.0,
        cycle_service_level=float(1 - weeks_short.sum() / max(weeks_with_demand.sum(), 1)),
        stockout_days=float(stockout_days.mean() * 365.0 / max(n_days, 1)),
        average_stock_value=avg_value,
        turnover=cogs / avg_value / years if avg_value > 0 and years > 0 else 0.0,
        order_lines=order_lines,
        total_cost=holding + ordering + shortage,
        holding_cost=holding,
        ordering_cost=ordering,
        shortage_cost=shortage,
        days=n_days,
        per_product={"demand": demand_total, "served": served_total, "lost": lost_total,
                     "stockout_days": stockout_days, "stock_value": value_per_product},
    )
