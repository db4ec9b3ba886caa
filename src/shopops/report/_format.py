"""Number and date formatting of the report.

Every number shown goes through one of these, so no NaN ever reaches the page.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from babel.numbers import format_currency, format_decimal, get_currency_symbol

__all__ = ["Fmt", "long_date", "month_add", "month_name", "num", "truncate"]

# The report is written in English: CLDR's en_US symbols ($, £, €, ¥, ₹, R$) and separators (1,234.56).
_LOCALE = "en_US"
# Significant digits that hold any float exactly, to 2 decimals (the largest float has 309 integer digits).
_FLOAT_DIGITS = 400


def num(value: Any) -> float | None:
    """``value`` as a finite float, or None (for None, NaN, infinities and non-numbers)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


class Fmt:
    """Number formatting of the report: money with 2 decimals, percentages with 1.

    Parameters
    ----------
    currency : str
        ISO code of the shop's currency; money shows its symbol, or the code after the amount when
        the currency has no symbol of its own.
    """

    def __init__(self, currency: str) -> None:
        self.currency = currency.upper()
        symbol = get_currency_symbol(self.currency, locale=_LOCALE)
        self.symbol = "" if symbol == self.currency else symbol
        self._money_pattern = "¤#,##0.00" if self.symbol else "#,##0.00 ¤"

    def money(self, value: Any) -> str:
        """Money with 2 decimals and thousands separators (-£1,234.56, or 1,234.56 CHF)."""
        x = num(value)
        if x is None:
            return "–"
        # Decimal(x) is the float's exact value, so babel rounds it as Python's own formatting does (babel
        # would otherwise round the shortest decimal repr, and 2.675 would become 2.68); enough digits for
        # any float. The sign is ours: babel would show -£0.00 for -0.0.
        with localcontext(prec=_FLOAT_DIGITS):
            body = format_currency(Decimal(abs(x)), self.currency, format=self._money_pattern, locale=_LOCALE,
                                   currency_digits=False)
        return f"-{body}" if x < 0 else body

    def money_short(self, value: Any) -> str:
        """Compact money for chart axes and bar labels (£1.2M, £350k, £75)."""
        # Own code, not babel's compact format: that writes 350K (not 350k), switches to B at a billion
        # and rounds 999,950 up to 1M, where the axes show 1000k.
        x = num(value)
        if x is None:
            return ""
        sign = "-" if x < 0 else ""
        a = abs(x)
        if a >= 1e6:
            body = f"{a / 1e6:.1f}M".replace(".0M", "M")
        elif a >= 1e3:
            body = f"{a / 1e3:.0f}k" if a >= 1e4 else f"{a / 1e3:.1f}k".replace(".0k", "k")
        elif a >= 100 or a.is_integer():
            body = f"{a:.0f}"
        else:
            body = f"{a:.2f}".rstrip("0").rstrip(".")
        return f"{sign}{self.symbol}{body}" if self.symbol else f"{sign}{body}"

    @staticmethod
    def count(value: Any) -> str:
        """A whole number with thousands separators (1,234)."""
        x = num(value)
        if x is None:
            return "–"
        # round() first: babel keeps the sign of a value that rounds to zero (-0), Python's round does not.
        with localcontext(prec=_FLOAT_DIGITS):
            return format_decimal(round(x), format="#,##0", locale=_LOCALE)

    @staticmethod
    def pct(value: Any) -> str:
        """A ratio (0.123) as a percentage (12.3%)."""
        # Own code, not babel's format_percent: that groups thousands (1,234.5%) and scales the exact
        # decimal value, which rounds some ratios differently from the x * 100 shown so far.
        x = num(value)
        return "–" if x is None else f"{x * 100:.1f}%"


def month_add(d: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``d``."""
    idx = d.year * 12 + d.month - 1 + months
    return date(idx // 12, idx % 12 + 1, 1)


def month_name(d: date) -> str:
    """``December 2010``."""
    return d.strftime("%B %Y")


def long_date(d: date) -> str:
    """``1 Dec 2010``."""
    return f"{d.day} {d.strftime('%b %Y')}"


def truncate(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
