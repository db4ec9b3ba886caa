"""The purchase plan: what to buy, when, how much and from whom, with alerts and explanations."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from shopops.errors import ShopopsError
from shopops.inventory._alerts import group_alerts, one_off_alerts, plan_alerts, rank_alerts
from shopops.inventory._demand import (
    DEMAND_MODELS,
    BootstrapDemand,
    DemandSampler,
    ForecastDemand,
    LeadTimeDemand,
)
from shopops.inventory._history import DemandMatrix, daily_demand
from shopops.inventory._params import InventoryDefaults, load_params, prepare_params
from shopops.inventory._policy import (
    classic_levels,
    eoq,
    expected_fill,
    expected_shortage,
    newsvendor_quantity,
    order_up_to_for_fill,
    round_order,
)
from shopops.result import Result

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = ["POLICIES", "ReplenishmentPlan", "plan_replenishment", "replenish"]

#: Policies of the planner: (R,S) from lead-time demand samples (default), (s,S) reviewed daily with
#: an EOQ-sized order, the classic normal safety stock, and the newsvendor for a one-off seasonal buy.
POLICIES = ("rs", "ss", "classic", "newsvendor")

PLAN_COLUMNS = [
    "product_id", "name", "supplier_id", "abc", "xyz", "policy", "on_hand", "on_order", "order_qty", "order_value",
    "order_date", "expected_arrival", "reorder_point", "order_up_to", "safety_stock", "projected_stock_at_arrival",
    "expected_fill_rate", "service_level", "lead_time_days", "lead_time_sd_days", "review_days",
    "daily_demand", "demand_lead_review_mean", "demand_lead_review_q", "unit_cost", "explanation",
]


@dataclass(kw_only=True)
class ReplenishmentPlan(Result):
    """A purchase plan.

    Attributes
    ----------
    lines : DataFrame
        One row per product (``PLAN_COLUMNS``); ``order_qty`` 0 when nothing is to be ordered now.
    purchase_orders : DataFrame
        The order lines grouped per supplier: one purchase order each.
    alerts : DataFrame
        ``product_id, alert, severity, value, products, message, facts``, ranked by ``value`` (the money at
        stake): stock-outs before the next possible arrival, overstock and dead stock with the value tied up,
        plans not to trust, data issues. ``facts`` holds the message's numbers as JSON, for translations.
    messages : list of str
        What the planner had to assume or could not do, for the person reading the plan.

    A plan is not scored on data it did not see (``metrics`` is empty): :func:`simulate_policy` replays the
    policy on the shop's history and measures its fill rate and stock.
    """

    capability: ClassVar[str] = "inventory"
    lines: pd.DataFrame
    purchase_orders: pd.DataFrame
    alerts: pd.DataFrame
    messages: list[str] = field(default_factory=list)

    def alert_groups(self) -> pd.DataFrame:
        """The alerts for a first reading: high and medium one per row, each low-severity kind grouped."""
        return group_alerts(self.alerts)

    @property
    def total_value(self) -> float:
        """Value of everything to order now."""
        return float(self.lines["order_value"].sum())

    def explain(self) -> str:
        """The policy, what to order now and for how much, the alerts and what the planner assumed."""
        buy = self.lines[self.lines["order_qty"] > 0]
        lines = [f"inventory: {self.model}",
                 "parameters: " + ", ".join(f"{k}={v}" for k, v in self.params.items()),
                 f"{len(buy):,} of {len(self.lines):,} products to order now, value {self.total_value:,.2f}, "
                 f"{len(self.purchase_orders):,} purchase orders; expected fill rate (median) "
                 f"{float(self.lines['expected_fill_rate'].median()):.3f}",
                 "not backtested here: simulate_policy replays the policy on history"]
        if not self.alerts.empty:
            counts = self.alerts["alert"].value_counts()
            lines.append("alerts: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
        lines.extend(self.messages)
        return "\n".join(lines)


def _levels(policy: str, params: pd.DataFrame, ltd: LeadTimeDemand, demand: DemandMatrix, sampler: DemandSampler,
            defaults: InventoryDefaults, season_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Reorder point and order-up-to level per product for ``policy``."""
    target = params["service_level"].to_numpy(float)
    if policy == "rs":
        up_to = order_up_to_for_fill(ltd, target)
        return up_to - 1, up_to
    if policy == "ss":
        daily = sampler.sample(demand.units, params["lead_time_days"].to_numpy(float),
                               params["lead_time_sd_days"].to_numpy(float), np.ones(len(params), dtype=np.int64))
        reorder = order_up_to_for_fill(daily, target)
        q = eoq(params["daily_mean"].to_numpy() * 365, defaults.order_cost, params["unit_cost"].to_numpy(),
                params["holding_rate"].to_numpy())
        q = np.maximum(np.maximum(np.ceil(q), params["moq"].to_numpy()), 1)
        return reorder, reorder + q
    if policy == "classic":
        recent = demand.units[:, -91:]
        _, up_to = classic_levels(recent.mean(axis=1), recent.std(axis=1), params["lead_time_days"].to_numpy(),
                                  params["lead_time_sd_days"].to_numpy(), params["review_days"].to_numpy(), target)
        return up_to - 1, up_to
    if policy == "newsvendor":
        season = sampler.sample(demand.units, np.full(len(params), float(season_days)), np.zeros(len(params)),
                                np.zeros(len(params), dtype=np.int64))
        qty, _ = newsvendor_quantity(season.lead, params["unit_price"].to_numpy(), params["unit_cost"].to_numpy())
        return qty - 1, qty
    raise ShopopsError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")


def _allocate_budget(order: np.ndarray, position: np.ndarray, ltd: LeadTimeDemand, unit_cost: np.ndarray,
                     moq: np.ndarray, pack: np.ndarray, budget: float) -> np.ndarray:
    """Cut the wanted orders down to ``budget``, buying the most expected units served per money first.

    Each product's wanted quantity is split into up to ten steps (the first at least the MOQ, all
    whole packs); a step's worth is the expected shortage it removes per unit of money. Steps are
    taken greedily, best first, while the budget lasts; a product's steps are taken in order.
    """
    chosen = np.zeros_like(order)
    heap: list[tuple[float, int, int, int]] = []  # (-worth, product, step start, step size)
    steps: dict[int, list[int]] = {}
    for i in map(int, np.flatnonzero(order > 0)):
        step = max(int(pack[i]), int(np.ceil(order[i] / 10 / pack[i]) * pack[i]))
        smallest = int(np.ceil(max(moq[i], 1.0) / pack[i]) * pack[i])  # the MOQ in whole packs
        first = min(int(order[i]), max(step, smallest))
        sizes = [first] + [step] * int(np.ceil((order[i] - first) / step))
        sizes[-1] = int(order[i]) - sum(sizes[:-1])
        steps[i] = [s for s in sizes if s > 0]

    def worth(i: int, have: int, size: int) -> float:
        level = np.array([position[i] + have, position[i] + have + size], dtype=float)
        short = expected_shortage(ltd.take([i, i]), level)
        cost = size * unit_cost[i]
        return float((short[0] - short[1]) / cost) if cost > 0 else float("inf")

    for i, sizes in steps.items():
        heapq.heappush(heap, (-worth(i, 0, sizes[0]), i, 0, 0))
    left = budget
    while heap:
        _, i, k, have = heapq.heappop(heap)
        size = steps[i][k]
        cost = size * unit_cost[i]
        if cost > left:
            continue  # this step does not fit; cheaper steps of other products may
        left -= cost
        chosen[i] += size
        if k + 1 < len(steps[i]):
            heapq.heappush(heap, (-worth(i, have + size, steps[i][k + 1]), i, k + 1, have + size))
    return chosen


def plan_replenishment(params: pd.DataFrame, demand: DemandMatrix, as_of: date, *, policy: str = "rs",
                       budget: float | None = None, defaults: InventoryDefaults | None = None,
                       sampler: DemandSampler | None = None, season_days: int = 90) -> ReplenishmentPlan:
    """Plan purchases for the products of ``params`` (see :func:`prepare_params`) on ``as_of``.

    Parameters
    ----------
    params : DataFrame
        Prepared per-product parameters, in the row order of ``demand``.
    demand : DemandMatrix
        Daily demand history up to ``as_of``.
    as_of : date
        The planning day (orders are placed on it).
    policy : str
        One of :data:`POLICIES`.
    budget : float or None
        Spend at most this much; the orders are cut where they buy the least service.
    defaults : InventoryDefaults or None
        Defaults and thresholds.
    sampler : BootstrapDemand, ForecastDemand or None
        Source of lead-time demand samples (default: the bootstrap).
    season_days : int
        Season length for the newsvendor policy.
    """
    defaults = defaults or InventoryDefaults()
    sampler = sampler or BootstrapDemand()
    if budget is not None and budget < 0:
        raise ShopopsError(f"budget must be 0 or more, not {budget:g}")
    if len(params) != len(demand.product_ids):
        raise ShopopsError("parameters and demand history list different products")
    messages: list[str] = []
    lead = params["lead_time_days"].to_numpy(float)
    lead_sd = params["lead_time_sd_days"].to_numpy(float)
    review = params["review_days"].to_numpy(np.int64)
    ltd = sampler.sample(demand.units, lead, lead_sd, review)
    reorder, up_to = _levels(policy, params, ltd, demand, sampler, defaults, season_days)
    position = (params["on_hand"] + params["on_order"]).to_numpy(float)
    moq, pack = params["moq"].to_numpy(float), params["case_pack"].to_numpy(float)
    wanted = np.where(position <= reorder, up_to - position, 0.0)
    order = round_order(wanted, moq, pack)
    cost = params["unit_cost"].to_numpy(float)
    if budget is not None:
        need = float(order @ cost)
        if budget == 0:
            messages.append(f"budget 0: nothing is ordered; the full plan would cost {need:,.2f}")
            order = np.zeros_like(order)
        elif need > budget:
            order = _allocate_budget(order, position, ltd, cost, moq, pack, budget)
            messages.append(f"budget {budget:,.2f} < {need:,.2f} wanted: orders cut where they buy the least "
                            f"service; {float(order @ cost):,.2f} spent")
    if not params["on_hand_known"].any():
        messages.append("no stock counts in the data: on hand taken as 0 for every product (load a stock table "
                        "for a real plan)")

    lead_review_mean = ltd.lead_review.mean(axis=1)
    q_level = np.array([np.quantile(row, q) for row, q in zip(ltd.lead_review, params["service_level"], strict=True)])
    fill = expected_fill(ltd, position + order)
    review_date = as_of + timedelta(days=int(defaults.review_days))
    order_date = [as_of if q > 0 else review_date for q in order]
    arrival = [d + timedelta(days=round(lt)) for d, lt in zip(order_date, lead, strict=True)]
    lines = pd.DataFrame({
        "product_id": params["product_id"], "name": params.get("name"), "supplier_id": params["supplier_id"],
        "abc": params["abc"], "xyz": params["xyz"], "policy": policy, "on_hand": params["on_hand"],
        "on_order": params["on_order"], "order_qty": order, "order_value": order * cost,
        "order_date": order_date, "expected_arrival": arrival, "reorder_point": reorder, "order_up_to": up_to,
        "safety_stock": np.maximum(up_to - lead_review_mean, 0.0),
        "projected_stock_at_arrival": position - ltd.lead.mean(axis=1),
        "expected_fill_rate": fill, "service_level": params["service_level"],
        "lead_time_days": lead, "lead_time_sd_days": lead_sd, "review_days": review,
        "daily_demand": ltd.daily_mean, "demand_lead_review_mean": lead_review_mean,
        "demand_lead_review_q": q_level, "unit_cost": cost,
    })
    lines["explanation"] = [
        f"demand over {lt:g}±{sd:g} d lead + {r} d review: mean {m:,.1f}, q{sl:.0%} {q:,.0f} "
        f"({sampler.describe()}); target fill {sl:.0%} → "
        f"order up to {s:,.0f}; unit cost {c:,.2f}" + (f"; {'; '.join(iss)}" if iss else "")
        for lt, sd, r, m, sl, q, s, c, iss in zip(lead, lead_sd, review, lead_review_mean, params["service_level"],
                                                  q_level, up_to, cost, params["issues"], strict=True)
    ]
    alerts = plan_alerts(params, lines, ltd, demand, defaults)
    one_off = one_off_alerts(demand, sampler) if sampler.outlier_factor is not None else alerts.iloc[:0]
    if len(one_off):
        alerts = rank_alerts(pd.concat([alerts, one_off], ignore_index=True) if len(alerts) else one_off)
    return ReplenishmentPlan(
        model=f"{policy} policy on lead-time demand from {sampler.describe()}",
        params={"policy": policy, "as_of": as_of, "budget": budget, "season_days": season_days},
        lines=lines[PLAN_COLUMNS], purchase_orders=_purchase_orders(lines, as_of), alerts=alerts, messages=messages)


def _purchase_orders(lines: pd.DataFrame, as_of: date) -> pd.DataFrame:
    buy = lines[lines["order_qty"] > 0]
    po = (buy.groupby("supplier_id", sort=True)
          .agg(lines=("product_id", "size"), units=("order_qty", "sum"), value=("order_value", "sum"),
               expected_arrival=("expected_arrival", "max"))
          .reset_index())
    po.insert(0, "po_number", [f"PO-{as_of:%Y%m%d}-{i + 1:03d}" for i in range(len(po))])
    po.insert(2, "order_date", as_of)
    return po


def replenish(reader: Reader, *, service_level: float | None = None, budget: float | None = None,
              review_days: int | None = None, policy: str = "rs", as_of: date | None = None,
              defaults: InventoryDefaults | None = None, demand_model: str = "bootstrap") -> ReplenishmentPlan:
    """The purchase plan of a shop's products on ``as_of`` (default: the last day of sales).

    Parameters
    ----------
    reader : Reader
        The shop's warehouse.
    service_level : float or None
        Target fill rate for every product (default: per ABC class, see :class:`InventoryDefaults`).
    budget : float or None
        Spend at most this much now.
    review_days : int or None
        Days between two orders (default 7 or the product's own).
    policy : str
        One of :data:`POLICIES`.
    as_of : date or None
        Planning day; only history up to it is used.
    defaults : InventoryDefaults or None
        Defaults and thresholds.
    demand_model : str
        ``bootstrap`` (:class:`BootstrapDemand`, the default: it needed less stock for the same fill
        rate in the replays, see docs/inventory.md) or ``paths`` (:class:`ForecastDemand`: the sample
        paths of the demand forecaster, the model the forecast page shows).
    """
    if demand_model not in DEMAND_MODELS:
        raise ShopopsError(f"unknown demand model {demand_model!r}; choose one of {', '.join(DEMAND_MODELS)}")
    if policy not in POLICIES:
        raise ShopopsError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    if service_level is not None and not 0 < service_level < 1:
        raise ShopopsError(f"service_level must be between 0 and 1 (e.g. 0.95), not {service_level:g}")
    if review_days is not None and review_days < 1:
        raise ShopopsError(f"review_days must be at least 1, not {review_days}")
    defaults = defaults or InventoryDefaults()
    demand = daily_demand(reader, until=as_of)
    day = as_of or demand.end
    raw = load_params(reader, demand, day)
    params = prepare_params(raw, demand, defaults, service_level=service_level, review_days=review_days)
    sampler = ForecastDemand(first_day=demand.start) if demand_model == "paths" else BootstrapDemand()
    plan = plan_replenishment(params, demand, day, policy=policy, budget=budget, defaults=defaults, sampler=sampler)
    plan.params.update(service_level=service_level, review_days=review_days, demand_model=demand_model)
    return plan
