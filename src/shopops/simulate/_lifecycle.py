"""The order lifecycle: payment, review, warehouse backlog, pick, pack, carrier, delivery, bad orders.

Two warehouses ship the orders: the Midlands one serves the UK and the world, a Rotterdam hub serves
the European Union. Each picks a fixed number of orders per working day (sized from the shop's
ordinary weeks); the Black Friday to Christmas ramp fills them faster than they pick, so a backlog
builds up, carried from day to day first in first out, and orders wait in it. Carriers deliver in a
number of delivery days drawn from a distribution per carrier, zone and weekday (a Friday hand-over
sits in a depot over the weekend), with slips in winter and in the peak. The promise is the
shop's rule: dispatch day (14:00 cut-off) plus the carrier's advertised days, which knows nothing of
the backlog: that is why peak orders arrive late.

A known share of orders is bad (the truth is written to ``order_truth``): payment fraud (new or
guest accounts, high values, card payments far away, addresses that fail verification), address
errors (parcels that cannot be delivered), resellers abusing coupons (many units on a coupon) and
duplicate submissions (the same basket again minutes later).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from shopops.simulate._calendar import DAY_US, HOUR_US
from shopops.simulate._customers import PAYMENT_TYPES
from shopops.simulate._places import CITY_ZONE
from shopops.simulate._types import BoolArray, FloatArray, IntArray
from shopops.simulate._world import World

__all__ = [
    "BAD_KINDS",
    "CANCEL_REASONS",
    "CARRIERS",
    "RETURN_REASONS",
    "WAREHOUSES",
    "WAREHOUSE_REGIONS",
    "Lifecycle",
    "plan_lifecycle",
]

_DISPATCH_WEEK = "1111100"
_DELIVERY_WEEK = "1111110"
_CUTOFF_HOUR = 14
_MINUTE_US = 60_000_000

WAREHOUSES = ("midlands", "rotterdam")
WAREHOUSE_REGIONS = ("East Midlands", "South Holland")
#: Carrier services: name, advertised delivery days per zone (uk_near, uk_mainland, uk_remote,
#: europe, world), and the transit distribution: minimum days plus a Poisson extra per zone.
CARRIERS = ("royal_mail", "dpd_express", "dhl_europe", "dhl_world")
_ADVERTISED = np.array([
    [1, 2, 3, 3, 8],  # royal_mail (UK standard)
    [1, 1, 2, 2, 5],  # dpd_express
    [2, 2, 3, 3, 5],  # dhl_europe
    [4, 4, 5, 6, 7],  # dhl_world
])
_TRANSIT_MIN = np.array([
    [1, 1, 2, 2, 5],
    [1, 1, 1, 1, 3],
    [2, 2, 2, 2, 4],
    [3, 3, 4, 4, 5],
])
_TRANSIT_EXTRA = np.array([  # mean of the Poisson extra days
    [0.15, 0.45, 0.8, 0.6, 1.8],
    [0.05, 0.12, 0.6, 0.4, 1.0],
    [0.3, 0.3, 0.5, 0.55, 0.9],
    [0.6, 0.6, 0.8, 1.0, 1.6],
])
_FRIDAY_SLIP = np.array([0.12, 0.05, 0.25, 0.2])  # chance a Friday hand-over sits in a depot one day more

BAD_KINDS = ("none", "fraud", "address_error", "duplicate", "reseller")
_ADDRESS_CHECKS = ("ok", "partial", "fail")
CANCEL_REASONS = ("customer_request", "payment_failed", "fraud", "duplicate", "out_of_stock", "undeliverable",
                   "other")
RETURN_REASONS = ("changed_mind", "damaged", "late", "wrong_item", "undeliverable", "other")
_FRAUD_BASE_LOGIT = -8.0
_ADDRESS_ERROR_SHARE = 0.012
_DUPLICATE_SHARE = 0.008
_RESELLER_CHANCE = 0.7  # of coupon orders with at least 4 units
_OVERTIME = 1.2
_PEAK_STAFF = 1.1  # extra pickers hired for December raise capacity by this factor


@dataclass(frozen=True)
class Lifecycle:
    """Lifecycle of each order of a batch (microseconds since the epoch, -1 when it did not happen)."""

    promised_us: IntArray
    shipped_us: IntArray  # as the carrier took it (before cancellations and the export cut)
    delivered_us: IntArray
    paid_us: IntArray
    released_us: IntArray
    picked_us: IntArray
    packed_us: IntArray
    limit_us: IntArray
    warehouse: IntArray
    carrier: IntArray
    express: BoolArray
    address_check: IntArray
    bad_kind: IntArray
    chargeback: BoolArray
    backlog_days: IntArray
    transit_days: IntArray

    def take(self, index: IntArray) -> Lifecycle:
        """The lifecycle of the orders at ``index``."""
        return Lifecycle(*(getattr(self, f.name)[index] for f in fields(Lifecycle)))

    @staticmethod
    def concat(parts: list[Lifecycle]) -> Lifecycle:
        """The lifecycles one after the other."""
        return Lifecycle(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Lifecycle)))


def _warehouse_of(zone: IntArray) -> IntArray:
    return np.asarray(zone == 3, dtype=np.int64)


def _backlog(world: World) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per warehouse and day (2, days): the backlog before the day, its new orders, its pick capacity.

    Orders join the queue of the working day they are planned for (a weekend's orders join
    Monday's); computed from all the order moments of the period, known before orders are cut
    into months, so the backlog runs on across months as a warehouse's would.
    """
    events = world.events
    dates = (np.arange(world.days) + world.first_day).astype("datetime64[D]")
    event_day = (events.time_us // DAY_US).astype("datetime64[D]")
    planned = np.busday_offset(event_day, 0, roll="forward", weekmask=_DISPATCH_WEEK, holidays=world.holidays)
    day = np.clip(planned.astype(np.int64) - world.first_day, 0, world.days - 1)
    city = np.where(events.customer >= 0, world.customers.city[np.maximum(events.customer, 0)], 0)
    house = _warehouse_of(CITY_ZONE[city])
    size = len(WAREHOUSES) * world.days
    arrivals = np.bincount(house * world.days + day, minlength=size).reshape(len(WAREHOUSES), world.days)
    workday = np.is_busday(dates, weekmask=_DISPATCH_WEEK, holidays=world.holidays)
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    # Staffed, weekday by weekday, for the orders of the same weekday of the last four weeks with
    # 35 % headroom (Mondays take the weekend's orders; a growing shop hires a month late), plus
    # the temporary pickers of December: the Christmas ramp still outruns it.
    lags = np.stack([np.roll(arrivals, 7 * k, axis=1) for k in range(1, 5)])
    first_weeks = np.arange(world.days) < 28
    same_weekday = np.where(first_weeks, arrivals[:, np.arange(world.days) % 7 + 7 * 0], lags.mean(axis=0))
    same_weekday = np.where(first_weeks, np.maximum(same_weekday, arrivals), same_weekday)
    capacity = np.where(workday, np.maximum(same_weekday * 1.35, 1.0), 0.0) * np.where(month == 12, _PEAK_STAFF, 1.0)
    start = np.zeros((len(WAREHOUSES), world.days))
    queue = np.zeros(len(WAREHOUSES))
    for d in range(world.days):
        start[:, d] = queue
        # Overtime when the queue is longer than a day's picking, never more than a fifth more.
        picked = capacity[:, d] * np.where(queue > capacity[:, d], _OVERTIME, 1.0)
        queue = np.maximum(queue + arrivals[:, d] - picked, 0.0)
    return start, arrivals.astype(np.float64), capacity


def _bad_orders(world: World, ordered_us: IntArray, who: IntArray, payment: IntArray, goods: FloatArray,
                units: IntArray, coupon: FloatArray | IntArray, zone: IntArray,
                rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """Bad-order kind and address check of each order (duplicates are added later)."""
    n = ordered_us.size
    guest = who < 0
    account_days = np.where(guest, 0.0, (ordered_us - world.customers.acquired_us[np.maximum(who, 0)]) / DAY_US)
    new_account = guest | (account_days < 2.0)
    hour = (ordered_us % DAY_US) // HOUR_US
    card_like = np.isin(payment, [PAYMENT_TYPES.index(p) for p in ("card", "apple_pay", "klarna")])
    logit = (_FRAUD_BASE_LOGIT + 2.3 * new_account + 1.1 * np.log1p(np.maximum(goods, 0.0) / 60.0)
             + 0.9 * card_like + 0.8 * (zone == 4) + 0.9 * ((hour >= 0) & (hour < 5)) + 0.4 * (units >= 4)
             - 1.5 * (payment == PAYMENT_TYPES.index("marketplace")) + rng.normal(0.0, 0.5, n))
    fraud = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    address_error = ~fraud & (rng.random(n) < _ADDRESS_ERROR_SHARE * np.where(zone >= 2, 2.0, 1.0))
    reseller = ~fraud & ~address_error & (coupon > 0) & (units >= 4) & (rng.random(n) < _RESELLER_CHANCE)
    kind = np.select([fraud, address_error, reseller], [1, 2, 4], 0)
    # The payment provider's address verification: mostly right, never certain.
    u = rng.random(n)
    check = np.where(kind == 2, np.where(u < 0.55, 2, np.where(u < 0.85, 1, 0)),
                     np.where(kind == 1, np.where(u < 0.35, 2, np.where(u < 0.65, 1, 0)),
                              np.where(u < 0.01, 2, np.where(u < 0.05, 1, 0))))
    return kind.astype(np.int64), check.astype(np.int64)


def plan_lifecycle(world: World, ordered_us: IntArray, city: IntArray, who: IntArray, payment: IntArray,
                   goods: FloatArray, units: IntArray, coupon: FloatArray | IntArray,
                   rng: np.random.Generator) -> Lifecycle:
    """Draw the lifecycle of orders placed at ``ordered_us`` (sorted), shipping to ``city``."""
    n = ordered_us.size
    zone = CITY_ZONE[city]
    bad, check = _bad_orders(world, ordered_us, who, payment, goods, units, coupon, zone, rng)

    # Payment: instant for cards and wallets, a few working days for bank transfers.
    transfer = payment == PAYMENT_TYPES.index("bank_transfer")
    paid_delay = np.where(transfer, (0.4 + rng.gamma(2.0, 0.6, n)) * DAY_US, rng.exponential(90.0, n) * 1e6 + 5e6)
    paid_us = ordered_us + paid_delay.astype(np.int64)
    # Release: automatic screening, a person looks at big orders and failed address checks.
    manual = (goods >= 300.0) | (check == 2)
    review = np.where(manual, (0.5 + rng.gamma(2.0, 2.5, n)) * HOUR_US, rng.exponential(4.0, n) * _MINUTE_US)
    released_us = paid_us + review.astype(np.int64)

    express = (zone <= 2) & (goods >= 60.0) & (rng.random(n) < 0.12)
    carrier = np.select([express, zone <= 2, zone == 3], [1, 0, 2], 3)
    house = _warehouse_of(zone)

    day = (released_us // DAY_US).astype("datetime64[D]")
    after_cutoff = (released_us % DAY_US) >= _CUTOFF_HOUR * HOUR_US
    planned = np.busday_offset(day + after_cutoff.astype(np.int64), 0, roll="forward", weekmask=_DISPATCH_WEEK,
                               holidays=world.holidays)
    # The promise is given at checkout, from the order moment, by the shop's rule.
    order_day = (ordered_us // DAY_US).astype("datetime64[D]")
    order_after = (ordered_us % DAY_US) >= _CUTOFF_HOUR * HOUR_US
    promise_dispatch = np.busday_offset(order_day + order_after.astype(np.int64), 0, roll="forward",
                                        weekmask=_DISPATCH_WEEK, holidays=world.holidays)
    promised = np.busday_offset(promise_dispatch, _ADVERTISED[carrier, zone], roll="forward",
                                weekmask=_DELIVERY_WEEK, holidays=world.holidays)
    limit_us = promise_dispatch.astype(np.int64) * DAY_US + 18 * HOUR_US

    start, arrivals, capacity = _backlog(world)
    rel_day = np.clip(planned.astype(np.int64) - world.first_day, 0, world.days - 1)
    position = start[house, rel_day] + rng.random(n) * arrivals[house, rel_day]
    backlog_days = np.floor(position / np.maximum(capacity[house, rel_day] * _OVERTIME, 1.0)).astype(np.int64)
    backlog_days += (rng.random(n) < 0.02).astype(np.int64)  # the odd lost pick list, all year round
    dispatch = np.busday_offset(planned, backlog_days, roll="forward", weekmask=_DISPATCH_WEEK,
                                holidays=world.holidays)
    dispatch_us = dispatch.astype(np.int64) * DAY_US
    picked_us = np.maximum(dispatch_us + ((8.0 + rng.random(n) * 7.0) * HOUR_US).astype(np.int64),
                           released_us + 10 * _MINUTE_US)
    packed_us = picked_us + ((4.0 + rng.exponential(20.0, n)) * _MINUTE_US).astype(np.int64)
    shipped_us = np.maximum(dispatch_us + ((17.0 + rng.random(n) * 2.0) * HOUR_US).astype(np.int64),
                            packed_us + 20 * _MINUTE_US)

    weekday = (dispatch.astype(np.int64) + 3) % 7  # 0 = Monday
    month = dispatch.astype("datetime64[M]").astype(np.int64) % 12 + 1
    month_day = (dispatch - dispatch.astype("datetime64[M]")).astype(np.int64) + 1
    peak = ((month == 11) & (month_day >= 24)) | ((month == 12) & (month_day <= 23))
    winter = (month <= 2) | (month == 12)
    extra_mean = _TRANSIT_EXTRA[carrier, zone] * np.where(peak, 2.0, 1.0) * np.where(winter & (zone >= 2), 1.4, 1.0)
    transit = (_TRANSIT_MIN[carrier, zone] + rng.poisson(extra_mean)
               + ((weekday == 4) & (rng.random(n) < _FRIDAY_SLIP[carrier])))
    transit = transit + np.where(bad == 2, rng.integers(2, 7, n), 0)  # an address error costs attempts
    delivered = np.busday_offset(dispatch, transit, roll="forward", weekmask=_DELIVERY_WEEK, holidays=world.holidays)
    delivered_us = np.maximum(delivered.astype(np.int64) * DAY_US
                              + ((8.0 + rng.random(n) * 12.0) * HOUR_US).astype(np.int64), shipped_us + 4 * HOUR_US)
    chargeback = (bad == 1) & (rng.random(n) < 0.8)
    return Lifecycle(
        promised_us=promised.astype(np.int64) * DAY_US + 21 * HOUR_US, shipped_us=shipped_us,
        delivered_us=delivered_us, paid_us=paid_us, released_us=released_us, picked_us=picked_us,
        packed_us=packed_us, limit_us=limit_us, warehouse=house, carrier=carrier.astype(np.int64),
        express=express, address_check=check, bad_kind=bad, chargeback=chargeback,
        backlog_days=backlog_days, transit_days=transit.astype(np.int64),
    )
