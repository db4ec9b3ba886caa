"""Day arguments as users write them (YYYY-MM-DD), with one error message for a bad one."""

from __future__ import annotations

from datetime import date

from shopops.errors import ShopopsError

__all__ = ["parse_day"]


def parse_day(value: str | date | None, what: str, error: type[ShopopsError] = ShopopsError) -> date | None:
    """``value`` as a date (None stays None); a bad value raises ``error`` naming the argument ``what``."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise error(f"{what}: {value!r} is not a date; write it as YYYY-MM-DD") from None
