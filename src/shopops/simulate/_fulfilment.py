"""Promised, shipped and delivered times of orders, with learnable causes of late delivery.

Orders placed before 14:00 on a working day leave the warehouse the same day, later ones the next
working day. The promise counts delivery days (Monday to Saturday) per zone from that dispatch
day. Deliveries are late when the warehouse is backlogged (Black Friday to Christmas), when the
carrier slips (more often far away, in the peak, in winter, and for Friday dispatches that sit
over the weekend).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopops.simulate._calendar import DAY_US, HOUR_US
from shopops.simulate._types import IntArray

__all__ = ["Fulfilment", "fulfil"]

_DISPATCH_WEEK = "1111100"  # the warehouse works Monday to Friday
_DELIVERY_WEEK = "1111110"  # carriers deliver Monday to Saturday
_CUTOFF_HOUR = 14
# Per zone (uk_near, uk_mainland, uk_remote, europe, world).
_PROMISED_DAYS = np.array([1, 2, 3, 5, 8])
_TRANSIT_MIN = np.array([1, 1, 2, 3, 5])
_TRANSIT_SPREAD = np.array([0, 1, 1, 2, 3])  # transit = min + uniform 0..spread (within the promise)
_SLIP_CHANCE = np.array([0.03, 0.04, 0.1, 0.12, 0.18])


@dataclass(frozen=True)
class Fulfilment:
    """Fulfilment timestamps of orders (microseconds since the epoch)."""

    promised_us: IntArray
    shipped_us: IntArray
    delivered_us: IntArray


def fulfil(ordered_us: IntArray, zone: IntArray, holidays: np.ndarray, rng: np.random.Generator) -> Fulfilment:
    """Draw dispatch and delivery of orders placed at ``ordered_us`` to delivery ``zone``."""
    n = ordered_us.size
    day = (ordered_us // DAY_US).astype("datetime64[D]")
    after_cutoff = (ordered_us % DAY_US) >= _CUTOFF_HOUR * HOUR_US
    planned = np.busday_offset(day + after_cutoff.astype(np.int64), 0, roll="forward",
                               weekmask=_DISPATCH_WEEK, holidays=holidays)
    promised = np.busday_offset(planned, _PROMISED_DAYS[zone], roll="forward", weekmask=_DELIVERY_WEEK,
                                holidays=holidays)

    month_day = (planned - planned.astype("datetime64[M]")).astype(np.int64) + 1
    month = planned.astype("datetime64[M]").astype(np.int64) % 12 + 1
    peak = ((month == 11) & (month_day >= 24)) | ((month == 12) & (month_day <= 23))
    winter = (month <= 2) | (month == 12)
    # Warehouse backlog in the peak, and the odd bad day all year round.
    backlog = rng.poisson(np.where(peak, 0.3, 0.0)) + (rng.random(n) < 0.025)
    shipped = np.busday_offset(planned, backlog, roll="forward", weekmask=_DISPATCH_WEEK, holidays=holidays)

    friday = ((shipped.astype(np.int64) + 3) % 7) == 4
    slip_chance = _SLIP_CHANCE[zone] * np.where(peak, 2.2, 1.0) * np.where(winter & (zone >= 2), 1.5, 1.0)
    slip_chance *= np.where(friday, 1.4, 1.0)
    slip = (rng.random(n) < slip_chance) * rng.integers(1, 4, n)
    transit = _TRANSIT_MIN[zone] + rng.integers(0, _TRANSIT_SPREAD[zone] + 1) + slip
    delivered = np.busday_offset(shipped, transit, roll="forward", weekmask=_DELIVERY_WEEK, holidays=holidays)

    def at(days: np.ndarray, first_hour: float, hours: float) -> IntArray:
        offset = ((first_hour + rng.random(n) * hours) * HOUR_US).astype(np.int64)
        return days.astype(np.int64) * DAY_US + offset

    shipped_us = at(shipped, 15.0, 4.0)
    # A parcel shipped the same day cannot arrive before it was sent.
    shipped_us = np.maximum(shipped_us, ordered_us + HOUR_US)
    return Fulfilment(
        promised_us=promised.astype(np.int64) * DAY_US + 21 * HOUR_US,
        shipped_us=shipped_us,
        delivered_us=np.maximum(at(delivered, 8.0, 12.0), shipped_us + 4 * HOUR_US),
    )
