"""Customers and when they buy: acquisition over time and BG/NBD-style repeat purchases.

Each customer has a purchase rate ``lambda ~ Gamma(r, alpha)`` and, after every purchase, drops out
for good with probability ``p ~ Beta(a, b)`` (the BG/NBD story). The process runs in the shop's
*operational time* (see :class:`Clock`), so purchases follow the shop's weekday, season, holiday
and hour-of-day rhythm without losing the BG/NBD structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopops.simulate._calendar import DAY_US, HOUR_US, hourly_profile, weekday
from shopops.simulate._categories import CATEGORIES
from shopops.simulate._config import SimulationConfig
from shopops.simulate._places import CITIES, CITY_AT_HOME
from shopops.simulate._seeds import stream
from shopops.simulate._types import BoolArray, FloatArray, IntArray

__all__ = [
    "ACQUISITION_CHANNELS",
    "PAYMENT_TYPES",
    "WARMUP_DAYS",
    "Clock",
    "Customers",
    "OrderEvents",
    "make_clock",
    "simulate_customers",
]

#: Customers already on the books at the start were acquired within this many days before it.
WARMUP_DAYS = 365

ACQUISITION_CHANNELS = ("organic", "search", "social", "email", "marketplace", "referral")
_CHANNEL_SHARE = np.array([0.28, 0.22, 0.16, 0.06, 0.16, 0.12])
# How the acquisition channel shifts purchase rate and drop-out (referred customers stay longer,
# customers won on social media or on a marketplace are more fickle).
_CHANNEL_RATE = np.array([1.1, 1.0, 0.85, 1.25, 0.8, 1.2])
_CHANNEL_DROPOUT = np.array([0.9, 1.0, 1.3, 0.85, 1.2, 0.7])

PAYMENT_TYPES = ("card", "paypal", "apple_pay", "klarna", "bank_transfer", "alipay", "wechat_pay", "marketplace")
_PAYMENT_EN = np.array([0.47, 0.26, 0.13, 0.1, 0.04, 0.0, 0.0, 0.0])
_PAYMENT_ZH = np.array([0.3, 0.15, 0.08, 0.03, 0.02, 0.27, 0.15, 0.0])

# BG/NBD parameters per *operational* day (an average day of the shop's activity).
_RATE_SHAPE, _RATE_MEAN = 0.7, 0.006
_DROPOUT_A, _DROPOUT_B = 1.2, 1.8
_ACQUISITION_GROWTH = 1.0  # new customers per day double over the period


@dataclass(frozen=True)
class Clock:
    """Operational time: the cumulative shop activity, in average days, at each hour.

    A process that is uniform in operational time is busy when the shop is busy: at weekends,
    in the evening, before Christmas.
    """

    first_us: int  # start of the first hour covered (the warm-up before the period)
    cumulative: FloatArray  # activity at each hour boundary, starts at 0
    start: float  # operational time at the start of the period
    end: float  # ... and at its end

    def to_us(self, u: FloatArray) -> IntArray:
        """Calendar time (microseconds since the epoch) of operational times ``u``."""
        hours = np.interp(u, self.cumulative, np.arange(self.cumulative.size, dtype=np.float64))
        return self.first_us + (hours * HOUR_US).astype(np.int64)


def make_clock(day_activity: FloatArray, first_epoch_day: int, warmup_days: int) -> Clock:
    """Build the clock from the shop's relative activity per day (warm-up days first)."""
    activity = day_activity / day_activity[warmup_days:].mean()
    weekend = weekday(first_epoch_day + np.arange(activity.size)) >= 5
    profile = np.where(weekend[:, None], hourly_profile(True)[None, :], hourly_profile(False)[None, :])
    cumulative = np.concatenate([[0.0], np.cumsum((activity[:, None] * profile).ravel())])
    return Clock(
        first_us=first_epoch_day * DAY_US,
        cumulative=cumulative,
        start=float(cumulative[warmup_days * 24]),
        end=float(cumulative[-1]),
    )


@dataclass(frozen=True)
class Customers:
    """Customers sorted by acquisition time; index i is customer id ``CU{i + 1:08d}``."""

    acquired_us: IntArray
    channel: IntArray  # index into ACQUISITION_CHANNELS
    city: IntArray  # index into CITIES
    chinese_name: BoolArray
    first_name: IntArray  # index into the English or Chinese given names
    last_name: IntArray
    email_style: IntArray
    number: IntArray  # random digits behind house number, postcode, phone and e-mail
    favourite_category: IntArray  # their baskets lean towards it
    writes_chinese: BoolArray
    payment: IntArray  # index into PAYMENT_TYPES, the method they usually pay with
    uses_app: BoolArray

    def __len__(self) -> int:
        return int(self.city.size)


@dataclass(frozen=True)
class OrderEvents:
    """Moments customers (or guests, customer -1) place an order, sorted by time."""

    time_us: IntArray
    customer: IntArray


def _draw_cities(n: int, abroad_share: float, rng: np.random.Generator) -> IntArray:
    weight = np.array([c.weight for c in CITIES])
    home = np.where(CITY_AT_HOME, weight / weight[CITY_AT_HOME].sum() * (1 - abroad_share), 0.0)
    away = np.where(~CITY_AT_HOME, weight / weight[~CITY_AT_HOME].sum() * abroad_share, 0.0)
    p = home + away
    return rng.choice(len(CITIES), size=n, p=p / p.sum())


def _acquisition_times(n: int, config: SimulationConfig, clock: Clock, rng: np.random.Generator) -> FloatArray:
    """Operational times of acquisition: some before the period, the rest growing over it."""
    existing = rng.random(n) < config.existing_customer_share
    v = rng.random(n)
    g = _ACQUISITION_GROWTH
    # Inverse CDF of a density rising linearly by (1 + g) over the period.
    x = (np.sqrt(1.0 + g * (2.0 + g) * v) - 1.0) / g
    during = clock.start + x * (clock.end - clock.start)
    before = v * clock.start
    return np.where(existing, before, during)


def _purchase_times(acquired: FloatArray, rate: FloatArray, dropout: FloatArray, clock: Clock,
                    rng: np.random.Generator) -> tuple[IntArray, FloatArray]:
    """All purchases of all customers, as (customer index, operational time)."""
    n = acquired.size
    alive_purchases = rng.geometric(dropout)  # purchases until the customer drops out, first included
    # Purchases beyond the end of the period do not matter: cap at a generous Poisson bound.
    horizon = np.maximum(clock.end - acquired, 0.0) * rate
    cap = 1 + np.ceil(horizon + 6.0 * np.sqrt(horizon) + 6.0).astype(np.int64)
    count = np.minimum(alive_purchases, cap)
    customer = np.repeat(np.arange(n), count)
    gaps = rng.standard_exponential(customer.size) / rate[customer]
    first = np.cumsum(count) - count
    gaps[first] = 0.0  # the first purchase is the acquisition itself
    total = np.cumsum(gaps)
    since_acquisition = total - np.repeat(total[first], count)
    return customer, acquired[customer] + since_acquisition


def simulate_customers(config: SimulationConfig, n_customers: int, clock: Clock,
                       category_share: FloatArray) -> tuple[Customers, OrderEvents]:
    """Draw customers, their attributes and every order they (and guests) place in the period."""
    rng = stream(config.seed, "customers", n_customers)
    n = n_customers
    acquired = np.sort(_acquisition_times(n, config, clock, rng))
    channel = rng.choice(len(ACQUISITION_CHANNELS), size=n, p=_CHANNEL_SHARE)
    rate = rng.gamma(_RATE_SHAPE, _RATE_MEAN / _RATE_SHAPE, n) * _CHANNEL_RATE[channel]
    rate = np.maximum(rate, 1e-6)
    dropout = np.clip(rng.beta(_DROPOUT_A, _DROPOUT_B, n) * _CHANNEL_DROPOUT[channel], 0.02, 0.98)

    city = _draw_cities(n, config.abroad_share, rng)
    chinese_country = np.isin(np.array([c.country for c in CITIES])[city], ["China", "Hong Kong", "Singapore"])
    chinese = rng.random(n) < np.where(chinese_country, 0.9, config.chinese_name_share)
    pay_p = np.where(chinese[:, None], _PAYMENT_ZH[None, :], _PAYMENT_EN[None, :])
    payment = np.minimum((rng.random(n)[:, None] > np.cumsum(pay_p, axis=1)).sum(axis=1), len(PAYMENT_TYPES) - 2)
    payment = np.where(ACQUISITION_CHANNELS.index("marketplace") == channel,
                       PAYMENT_TYPES.index("marketplace"), payment)
    # Small integer types: a large shop has millions of customers, kept in memory for the whole run.
    customers = Customers(
        acquired_us=clock.to_us(acquired),
        channel=channel.astype(np.int8),
        city=city.astype(np.int16),
        chinese_name=chinese,
        first_name=rng.integers(0, 1 << 20, n, dtype=np.int32),
        last_name=rng.integers(0, 1 << 20, n, dtype=np.int32),
        email_style=rng.integers(0, 4, n, dtype=np.int8),
        number=rng.integers(0, 1 << 62, n),
        favourite_category=rng.choice(len(CATEGORIES), size=n, p=category_share).astype(np.int8),
        writes_chinese=rng.random(n) < np.where(chinese, 0.85, 0.1),
        payment=payment.astype(np.int8),
        uses_app=rng.random(n) < 0.35,
    )

    who, when = _purchase_times(acquired, rate, dropout, clock, rng)
    in_period = (when >= clock.start) & (when < clock.end)
    who, when = who[in_period], when[in_period]
    # Guests shop on the same rhythm as customers: borrow customers' purchase moments, jittered.
    n_guests = round(who.size * config.guest_share / (1.0 - config.guest_share))
    if who.size:
        borrowed = rng.choice(when, n_guests)
        guest_when = borrowed + rng.uniform(-0.5, 0.5, n_guests)
        guest_when = np.where((guest_when >= clock.start) & (guest_when < clock.end), guest_when, borrowed)
        who = np.concatenate([who, np.full(n_guests, -1)])
        when = np.concatenate([when, guest_when])
    order = np.argsort(when, kind="stable")
    return customers, OrderEvents(time_us=clock.to_us(when[order]), customer=who[order])

