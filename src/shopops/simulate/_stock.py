"""The shop's own, naive replenishment: an (s, S) policy run day by day over all products at once.

The shop forecasts each product's daily demand by exponentially smoothing its *sales* (so stock-outs
make it under-forecast, as in real shops) and sizes reorder points with rule-of-thumb factors that
are off for many products; with long supplier lead times, peaks and minimum order quantities, some
products run out (lost sales) and others pile up stock. Purchase orders group a day's order lines
per supplier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopops.simulate._calendar import chinese_new_year, epoch_day, weekday
from shopops.simulate._catalogue import Catalogue, Suppliers
from shopops.simulate._seeds import stream
from shopops.simulate._types import BoolArray, FloatArray, IntArray

__all__ = ["PurchaseOrders", "StockResult", "run_stock"]

_SMOOTHING = 0.04  # weight of today's sales in the shop's demand estimate (~25-day memory)
_REVIEW_DAYS = 1.4  # orders are placed on weekdays only


@dataclass(frozen=True)
class PurchaseOrders:
    """Purchase order lines, sorted by order day, supplier and product."""

    po_number: IntArray  # one number per (day, supplier)
    product: IntArray
    supplier: IntArray
    ordered_day: IntArray  # days from start (negative for stock ordered before the period)
    quantity: IntArray
    expected_day: IntArray
    received_day: IntArray  # may be >= days: still open at the end


@dataclass(frozen=True)
class StockResult:
    """Outcome of the replenishment run, matrices of shape (products, days)."""

    sales: IntArray
    lost: IntArray
    on_hand: IntArray  # end of day
    purchase_orders: PurchaseOrders


def _lead_times(suppliers: Suppliers, first_day: int, days: int, rng: np.random.Generator) -> IntArray:
    """Actual lead time of an order placed with each supplier on each day, shape (suppliers, days)."""
    lead = rng.normal(suppliers.lead_mean[:, None], suppliers.lead_sd[:, None], (len(suppliers), days))
    lead = np.maximum(np.rint(lead), 1).astype(np.int64)
    # Chinese factories close for about two weeks around the New Year: orders placed in the
    # weeks before it arrive late.
    epoch_days = first_day + np.arange(days)
    years = {int(y) for y in epoch_days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970}
    for year in years:
        cny = epoch_day(chinese_new_year(year))
        window = (epoch_days >= cny - 28) & (epoch_days <= cny + 7)
        lead[np.ix_(suppliers.closes_for_new_year, window)] += 12
    return np.asarray(lead, dtype=np.int64)


def run_stock(demand: IntArray, expected: FloatArray, active: BoolArray, catalogue: Catalogue,
              suppliers: Suppliers, first_day: int, seed: int) -> StockResult:
    """Run the shop's replenishment over the period and return sales, lost sales, stock and POs.

    Parameters
    ----------
    demand : ndarray, shape (products, days)
        Units customers want each day.
    expected : ndarray, shape (products, days)
        Expected demand; the shop's first estimate is its average over the on-sale days.
    active : ndarray of bool, shape (products, days)
        Product on sale.
    catalogue, suppliers
        Products and their suppliers.
    first_day : int
        Epoch day of the first simulated day.
    seed : int
        Seed of the run.
    """
    rng = stream(seed, "stock")
    n, days = demand.shape
    lead_actual = _lead_times(suppliers, first_day, days, rng)
    lead_mean = suppliers.lead_mean[catalogue.supplier]
    moq = suppliers.moq[catalogue.supplier]
    case = suppliers.case_pack[catalogue.supplier]
    # Rule-of-thumb sizing, wrong by a product-specific factor (some far too lean).
    safety = rng.lognormal(-0.15, 0.5, n)
    cover_days = rng.uniform(10.0, 40.0, n)
    active_days = np.maximum(active.sum(axis=1), 1)
    estimate = expected.sum(axis=1) / active_days * rng.lognormal(0.0, 0.3, n)

    def order_levels(est: FloatArray) -> tuple[FloatArray, FloatArray]:
        reorder = np.rint(est * (lead_mean + _REVIEW_DAYS) * safety)
        return reorder, reorder + est * cover_days

    def order_size(gap: FloatArray, idx: IntArray) -> IntArray:
        qty = np.maximum(np.ceil(gap), np.maximum(moq[idx], 1))
        return np.asarray(np.ceil(qty / case[idx]) * case[idx], dtype=np.int64)

    reorder, up_to = order_levels(estimate)
    launch = catalogue.launch_day
    stops_ordering = catalogue.discontinue_day - 30  # the shop lets stock run down before delisting
    on_hand = np.where(launch < 0, np.floor(rng.uniform(reorder, up_to)), 0).astype(np.int64)
    on_order = np.zeros(n, dtype=np.int64)
    horizon = days + int(lead_actual.max()) + 1
    arrivals = np.zeros((n, horizon), dtype=np.int64)
    sales = np.zeros((n, days), dtype=np.int64)
    on_hand_hist = np.zeros((n, days), dtype=np.int64)
    po_parts: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []

    # Products launched during the period get their first stock on the launch day.
    launching = np.flatnonzero((launch >= 0) & (launch < days))
    if launching.size:
        first_qty = order_size(up_to[launching], launching)
        first_lead = np.rint(lead_mean[launching]).astype(np.int64)
        arrivals[launching, launch[launching]] += first_qty
        on_order[launching] += first_qty
        po_parts.append((launching, launch[launching] - first_lead, first_qty, first_lead))

    is_weekday = weekday(first_day + np.arange(days)) < 5
    for t in range(days):
        arrived = arrivals[:, t]
        on_hand += arrived
        on_order -= arrived
        sold = np.minimum(demand[:, t], on_hand)
        on_hand -= sold
        sales[:, t] = sold
        on_hand_hist[:, t] = on_hand
        live = active[:, t]
        estimate = np.where(live, estimate + _SMOOTHING * (sold - estimate), estimate)
        if not is_weekday[t]:
            continue
        reorder, up_to = order_levels(estimate)
        position = on_hand + on_order
        need = np.flatnonzero(live & (t < stops_ordering) & (position <= reorder))
        if need.size == 0:
            continue
        qty = order_size(up_to[need] - position[need], need)
        lead = lead_actual[catalogue.supplier[need], t]
        arrivals[need, t + lead] += qty
        on_order[need] += qty
        po_parts.append((need, np.full(need.size, t), qty, lead))

    return StockResult(
        sales=sales,
        lost=demand - sales,
        on_hand=on_hand_hist,
        purchase_orders=_purchase_orders(po_parts, catalogue, lead_mean),
    )


def _purchase_orders(parts: list[tuple[IntArray, IntArray, IntArray, IntArray]], catalogue: Catalogue,
                     lead_mean: FloatArray) -> PurchaseOrders:
    if parts:
        product, day, qty, lead = (np.concatenate(cols) for cols in zip(*parts, strict=True))
    else:
        product = day = qty = lead = np.zeros(0, dtype=np.int64)
    supplier = catalogue.supplier[product]
    order = np.lexsort((product, supplier, day))
    product, day, qty, lead, supplier = product[order], day[order], qty[order], lead[order], supplier[order]
    new_po = np.ones(day.size, dtype=bool)
    new_po[1:] = (day[1:] != day[:-1]) | (supplier[1:] != supplier[:-1])
    return PurchaseOrders(
        po_number=np.cumsum(new_po),
        product=product,
        supplier=supplier,
        ordered_day=day,
        quantity=qty,
        expected_day=day + np.rint(lead_mean[product]).astype(np.int64),
        received_day=day + lead,
    )
