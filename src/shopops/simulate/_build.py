"""Decide everything before the orders: catalogue, customers and their order moments, demand, stock."""

from __future__ import annotations

import numpy as np

from shopops.simulate._ads import make_campaigns
from shopops.simulate._calendar import (
    DAY_US,
    HOUR_US,
    bank_holidays,
    category_day_factors,
    epoch_day,
    hourly_profile,
    weekday,
)
from shopops.simulate._catalogue import Catalogue, Suppliers, make_catalogue, make_suppliers
from shopops.simulate._categories import CATEGORIES
from shopops.simulate._config import SimulationConfig
from shopops.simulate._customers import WARMUP_DAYS, OrderEvents, make_clock, simulate_customers
from shopops.simulate._demand import DemandPlan, draw_demand, plan_demand
from shopops.simulate._orders import NEW_LINE_CHANCE
from shopops.simulate._seeds import stream
from shopops.simulate._stock import StockResult, run_stock
from shopops.simulate._types import FloatArray, IntArray
from shopops.simulate._world import World

__all__ = ["build_world"]

_TREND_WINDOW = 28  # half-width in days of the window that smooths the customer base's growth


def build_world(config: SimulationConfig) -> World:
    """Decide everything but the individual orders: catalogue, customers, demand, stock."""
    first_day = epoch_day(config.start)
    catalogue = make_catalogue(config, config.n_suppliers)
    # The shop's rhythm (weekdays, seasons, holidays), from the year before the start on: the
    # customers acquired then already shop when the data begins.
    category_share = np.asarray(np.bincount(catalogue.category, weights=catalogue.popularity,
                                            minlength=len(CATEGORIES)), dtype=np.float64)
    all_factors = category_day_factors(first_day - WARMUP_DAYS + np.arange(WARMUP_DAYS + config.days))
    day_activity = category_share @ all_factors
    clock = make_clock(day_activity, first_day - WARMUP_DAYS, WARMUP_DAYS)

    # Customers and their order moments; for a target size, scale the customers from a first run.
    n_customers = config.n_customers
    customers, events = simulate_customers(config, n_customers, clock, category_share)
    if config.target_order_lines is not None:
        wanted_orders = config.target_order_lines / config.lines_per_order
        n_customers = max(round(n_customers * wanted_orders / max(events.time_us.size, 1)), 100)
        customers, events = simulate_customers(config, n_customers, clock, category_share)
    target_lines = (config.target_order_lines if config.target_order_lines is not None
                    else events.time_us.size * config.lines_per_order)

    # Demand follows the customer base's growth; its scale is set so sales split into the target lines.
    period_activity = day_activity[WARMUP_DAYS:]
    trend = _trend(events, period_activity, first_day, config.days)
    plan = plan_demand(catalogue, all_factors[:, WARMUP_DAYS:], trend, first_day, config.seed)
    demand, bulk, suppliers, stock = _calibrate(config, plan, catalogue, first_day, target_lines)

    events = _fallback_guests(events, stock.sales, first_day, stream(config.seed, "fallback-guests"),
                              config.lines_per_order)
    # Return chances per category, scaled so that the shop-wide rate is ``config.return_rate``.
    units = np.bincount(catalogue.category, weights=stock.sales.sum(axis=1), minlength=len(CATEGORIES))
    factor = np.array([c.return_factor for c in CATEGORIES])
    mean_factor = float((units * factor).sum() / max(units.sum(), 1))
    years = range(config.start.year, config.end.year + 2)
    orders_per_day = np.bincount(events.time_us // DAY_US - first_day, minlength=config.days).astype(np.float64)
    takings = float((stock.sales * catalogue.price[:, None] * plan.price_factor).sum())
    return World(
        config=config,
        first_day=first_day,
        catalogue=catalogue,
        suppliers=suppliers,
        customers=customers,
        events=events,
        plan=plan,
        demand=demand,
        bulk=bulk,
        stock=stock,
        return_chance=config.return_rate * factor / mean_factor,
        holidays=bank_holidays(years.start, years.stop),
        campaigns=make_campaigns(config, first_day),
        orders_per_day=orders_per_day,
        value_per_order=takings / max(events.time_us.size, 1),
    )


def _calibrate(config: SimulationConfig, plan: DemandPlan, catalogue: Catalogue, first_day: int,
               target_lines: float) -> tuple[IntArray, IntArray, Suppliers, StockResult]:
    """Find the demand scale whose sales split into ``target_lines`` sale lines.

    Lines depend on scale non-linearly (stock-outs, bulk orders, the share of single-unit days),
    so the scale is corrected a few times; every try uses the same random streams.
    """
    shape_total = float(plan.shape.sum())
    scale = target_lines * 1.4 / max(shape_total, 1e-12)
    for _ in range(8):
        suppliers = make_suppliers(config, scale * shape_total / config.days)
        demand, bulk = draw_demand(plan, catalogue, scale, config.seed)
        stock = run_stock(demand, scale * plan.shape, plan.active, catalogue, suppliers, first_day, config.seed)
        lines = _expected_lines(stock.sales, bulk)
        if abs(lines / target_lines - 1.0) < 0.003:
            break
        scale *= target_lines / max(lines, 1.0)
    return demand, bulk, suppliers, stock


def _trend(events: OrderEvents, day_activity: FloatArray, first_day: int, days: int) -> FloatArray:
    """The shop's size over time: order moments per unit of calendar activity, smoothed, mean 1."""
    day = events.time_us // DAY_US - first_day
    counts = np.bincount(day, minlength=days).astype(np.float64)
    window = np.ones(2 * min(_TREND_WINDOW, (days - 1) // 2) + 1)
    ratio = np.convolve(counts, window, "same") / np.convolve(day_activity, window, "same")
    ratio = np.maximum(ratio, 1e-9) if ratio.max() > 0 else np.ones(days)
    return np.asarray(ratio / ratio.mean(), dtype=np.float64)


def _expected_lines(sales: IntArray, bulk: IntArray) -> float:
    """Expected number of sale lines the split of these sales gives (see ``_orders``)."""
    sold = sales > 0
    unbroken = np.maximum(np.minimum(bulk, sales), 1)
    return float(sold.sum() + NEW_LINE_CHANCE * np.maximum(sales - unbroken, 0)[sold].sum())


def _fallback_guests(events: OrderEvents, sales: IntArray, first_day: int, rng: np.random.Generator,
                     lines_per_order: float) -> OrderEvents:
    """Add guest orders on days with sales but no order moment (only in very small shops)."""
    per_day = np.bincount(events.time_us // DAY_US - first_day, minlength=sales.shape[1])
    units = sales.sum(axis=0)
    empty = np.flatnonzero((units > 0) & (per_day == 0))
    if empty.size == 0:
        return events
    count = np.maximum(np.rint(units[empty] / (lines_per_order * 1.4)), 1).astype(np.int64)
    day = np.repeat(empty, count)
    weekend = weekday(first_day + day) >= 5
    hour = np.where(weekend, rng.choice(24, day.size, p=hourly_profile(True)),
                    rng.choice(24, day.size, p=hourly_profile(False)))
    when = (first_day + day) * DAY_US + hour * HOUR_US + rng.integers(0, HOUR_US, day.size)
    time_us = np.concatenate([events.time_us, when])
    customer = np.concatenate([events.customer, np.full(day.size, -1)])
    order = np.argsort(time_us, kind="stable")
    return OrderEvents(time_us=time_us[order], customer=customer[order])
