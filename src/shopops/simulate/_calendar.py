"""Calendar effects: weekdays, yearly seasons, holidays, intraday pattern and UK bank holidays.

Days are integers counted from 1970-01-01 ("epoch days") so that they convert straight to
Arrow ``date32`` and, times ``DAY_US``, to ``timestamp[us]``.
"""

from __future__ import annotations

import datetime

import numpy as np

from shopops.simulate._categories import CATEGORIES, CategorySpec
from shopops.simulate._types import FloatArray, IntArray

__all__ = [
    "DAY_US",
    "HOUR_US",
    "bank_holidays",
    "category_day_factors",
    "day_of_year",
    "epoch_day",
    "hourly_profile",
    "weekday",
]

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
_EPOCH = datetime.date(1970, 1, 1)

# Online shops sell most at the weekend, least mid-week (Monday = 0).
_WEEKLY = np.array([0.96, 0.92, 0.92, 0.95, 0.98, 1.12, 1.18])

# Orders by hour of the day: quiet at night, a lunch bump and an evening peak; later and
# flatter at the weekend.
_HOURLY_WEEKDAY = np.array([
    0.30, 0.14, 0.07, 0.05, 0.05, 0.10, 0.30, 0.60, 0.85, 0.95, 1.00, 1.10,
    1.30, 1.20, 1.00, 0.95, 0.95, 1.05, 1.30, 1.65, 1.85, 1.75, 1.30, 0.70,
])
_HOURLY_WEEKEND = np.array([
    0.45, 0.25, 0.12, 0.07, 0.05, 0.07, 0.15, 0.35, 0.65, 0.95, 1.20, 1.30,
    1.30, 1.25, 1.20, 1.15, 1.15, 1.20, 1.35, 1.60, 1.75, 1.65, 1.25, 0.80,
])

# Chinese New Year (first day of the lunar year); outside this table it is taken as 5 February.
_CHINESE_NEW_YEAR = {
    2015: (2, 19), 2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25),
    2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17),
    2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11),
    2033: (1, 31), 2034: (2, 19), 2035: (2, 8),
}


def epoch_day(day: datetime.date) -> int:
    """Days from 1970-01-01 to ``day``."""
    return (day - _EPOCH).days


def weekday(days: IntArray) -> IntArray:
    """Day of the week of epoch days, Monday = 0 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def day_of_year(days: IntArray) -> IntArray:
    """Day of the year of epoch days, 1 = 1 January."""
    d = days.astype("datetime64[D]")
    return np.asarray((d - d.astype("datetime64[Y]")).astype(np.int64) + 1, dtype=np.int64)


def _years(days: IntArray) -> range:
    d = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return range(int(d.min()), int(d.max()) + 1)


def easter(year: int) -> datetime.date:
    """Easter Sunday (Gregorian calendar, anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return datetime.date(year, month, day)


def black_friday(year: int) -> datetime.date:
    """The day after the fourth Thursday of November."""
    first = datetime.date(year, 11, 1)
    first_thursday = first + datetime.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + datetime.timedelta(days=22)


def chinese_new_year(year: int) -> datetime.date:
    """First day of the Chinese lunar year."""
    month, day = _CHINESE_NEW_YEAR.get(year, (2, 5))
    return datetime.date(year, month, day)


def _nth_weekday(year: int, month: int, weekday_: int, n: int) -> datetime.date:
    """The n-th (1-based; -1 = last) given weekday of a month."""
    if n > 0:
        first = datetime.date(year, month, 1)
        return first + datetime.timedelta(days=(weekday_ - first.weekday()) % 7 + 7 * (n - 1))
    nxt = datetime.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - datetime.timedelta(days=1)
    return last - datetime.timedelta(days=(last.weekday() - weekday_) % 7)


def bank_holidays(first_year: int, last_year: int) -> np.ndarray:
    """Bank holidays of England and Wales as ``datetime64[D]``, substitute days included."""
    out: list[datetime.date] = []
    for year in range(first_year, last_year + 1):
        new_year = datetime.date(year, 1, 1)
        out.append(new_year + datetime.timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0)))
        e = easter(year)
        out += [e - datetime.timedelta(days=2), e + datetime.timedelta(days=1)]
        out += [_nth_weekday(year, 5, 0, 1), _nth_weekday(year, 5, 0, -1), _nth_weekday(year, 8, 0, -1)]
        # Christmas and Boxing Day move to the next free weekdays when they fall on a weekend.
        taken: set[datetime.date] = set()
        for day in (datetime.date(year, 12, 25), datetime.date(year, 12, 26)):
            while day.weekday() >= 5 or day in taken:
                day += datetime.timedelta(days=1)
            taken.add(day)
        out += sorted(taken)
    return np.array(sorted(out), dtype="datetime64[D]")


def hourly_profile(is_weekend: bool) -> FloatArray:
    """Share of a day's orders placed in each hour (sums to 1)."""
    profile = _HOURLY_WEEKEND if is_weekend else _HOURLY_WEEKDAY
    return np.asarray(profile / profile.sum(), dtype=np.float64)


def _season_curve(doy: IntArray, spec: CategorySpec) -> FloatArray:
    log_m = np.zeros(doy.size)
    for bump in spec.seasons:
        dist = np.abs(doy - bump.center)
        dist = np.minimum(dist, 365 - dist)  # the year is a circle
        log_m += bump.log_lift * np.exp(-0.5 * (dist / bump.width) ** 2)
    return np.exp(log_m)


def _yearly(doy: IntArray) -> FloatArray:
    """Yearly season multipliers, shape (categories, days), mean 1 over a year per category."""
    full_year = np.arange(1, 366)
    return np.stack([_season_curve(doy, spec) / _season_curve(full_year, spec).mean() for spec in CATEGORIES])


def _window(days: IntArray, first: datetime.date, length: int) -> np.ndarray:
    lo = epoch_day(first)
    return (days >= lo) & (days < lo + length)


def _holidays(days: IntArray) -> FloatArray:
    """Holiday multipliers, shape (categories, days)."""
    peak_sens = np.array([c.peak_sensitivity for c in CATEGORIES])[:, None]
    names = [c.name for c in CATEGORIES]
    out = np.ones((len(CATEGORIES), days.size))
    d = datetime.timedelta

    def lift(mask: np.ndarray, factor: float, sens: np.ndarray | float = 1.0) -> None:
        out[:, mask] *= 1.0 + (factor - 1.0) * np.broadcast_to(sens, (len(CATEGORIES), 1))

    def lift_category(name: str, mask: np.ndarray, factor: float) -> None:
        out[names.index(name), mask] *= factor

    for year in _years(days):
        bf = black_friday(year)
        lift(_window(days, bf - d(7), 7), 0.85, peak_sens)  # people wait for the deals
        lift(_window(days, bf, 1), 2.4, peak_sens)
        lift(_window(days, bf + d(1), 2), 1.5, peak_sens)
        lift(_window(days, bf + d(3), 1), 1.9, peak_sens)  # Cyber Monday
        lift(_window(days, datetime.date(year, 11, 10), 1), 1.25, peak_sens)
        lift(_window(days, datetime.date(year, 11, 11), 1), 1.7, peak_sens)  # Singles' Day
        lift(_window(days, datetime.date(year, 12, 16), 5), 1.15)  # last posting days
        lift(_window(days, datetime.date(year, 12, 23), 1), 0.7)
        lift(_window(days, datetime.date(year, 12, 24), 1), 0.45)
        lift(_window(days, datetime.date(year, 12, 25), 1), 0.35)
        lift(_window(days, datetime.date(year, 12, 26), 1), 1.5)  # Boxing Day sales
        lift(_window(days, datetime.date(year, 12, 27), 5), 1.15)
        cny = chinese_new_year(year)
        lift(_window(days, cny - d(14), 14), 1.12)  # gifts before the New Year
        lift(_window(days, cny, 4), 0.8)
        e = easter(year)
        lift_category("toys", _window(days, e - d(10), 10), 1.3)
        lift_category("garden", _window(days, e - d(2), 4), 1.5)
        lift_category("beauty", _window(days, e - d(28), 7), 1.5)  # Mothering Sunday, UK
        fathers_day = _nth_weekday(year, 6, 6, 3)
        lift_category("electronics accessories", _window(days, fathers_day - d(7), 7), 1.3)
        lift_category("books", _window(days, fathers_day - d(7), 7), 1.2)
    return out


def category_day_factors(days: IntArray) -> FloatArray:
    """Weekday x season x holiday multiplier of every category on every day, shape (categories, days)."""
    dow = weekday(days)
    weekly = _WEEKLY / _WEEKLY.mean()
    weekend = (dow >= 5).astype(np.float64)
    lift = np.array([c.weekend_lift for c in CATEGORIES])[:, None]
    week = weekly[dow][None, :] * (1.0 + lift * weekend[None, :]) / (1.0 + lift * 2.0 / 7.0)
    return np.asarray(week * _yearly(day_of_year(days)) * _holidays(days), dtype=np.float64)
