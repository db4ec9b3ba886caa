"""Dates: day arguments as users write them (YYYY-MM-DD), and where a month, week or day ends."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from shopops.errors import ShopopsError

__all__ = ["month_end", "parse_day", "period_end"]


def parse_day(value: str | date | None, what: str, error: type[ShopopsError] = ShopopsError) -> date | None:
    """``value`` as a date (None stays None); a bad value raises ``error`` naming the argument ``what``."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise error(f"{what}: {value!r} is not a date; write it as YYYY-MM-DD") from None


def month_end(day: date) -> date:
    """The last day of the month holding ``day``."""
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def period_end(start: date, grain: str) -> date:
    """The last day of the ``grain`` (``day``, ``week`` from Monday, ``month``) period starting on ``start``."""
    if grain == "day":
        return start
    if grain == "week":
        return start + timedelta(days=6)
    return month_end(start)
