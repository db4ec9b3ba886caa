"""A one-file HTML report of the shop: KPIs, charts, data quality and KPI definitions.

The report reads the warehouse (read-only) and writes one self-contained HTML file: the CSS is
inline and the charts are inline SVG drawn with matplotlib, so the file can be mailed, archived
or opened offline and never fetches anything.
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import matplotlib
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from shopops._dates import month_end
from shopops._duck import connect
from shopops.config import Settings
from shopops.errors import WarehouseError
from shopops.warehouse import KPI_CARDS, read_meta

__all__ = ["REPORT_FILE", "write_report"]

#: Where :func:`write_report` writes by default, relative to the data directory.
REPORT_FILE = Path("reports") / "report.html"

_CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹", "BRL": "R$"}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Colours: one blue for money, one teal for counts, red for money lost, amber for "new".
_BLUE, _LIGHT_BLUE, _RED, _TEAL, _AMBER, _GREY = (
    "#1f4e79", "#a9c4e0", "#d0533f", "#2a9d8f", "#e9a03b", "#6b7280")
_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text: small, crisp and searchable
    "svg.hashsalt": "shopops",  # stable ids, so the same data gives the same file
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Liberation Sans"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9ca3af",
    "axes.labelcolor": "#374151",
    "xtick.color": "#4b5563",
    "ytick.color": "#4b5563",
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#e5e7eb",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "legend.frameon": False,
}
# Legends sit above the plot, left, so they never cover a bar; notes go above it on the right.
_LEGEND: dict[str, Any] = {"loc": "lower left", "bbox_to_anchor": (0.0, 1.0), "borderaxespad": 0.2,
                           "fontsize": 9}


# --------------------------------------------------------------------------------------------
# formatting: every number shown goes through one of these, so no NaN ever reaches the page
# --------------------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    """``value`` as a finite float, or None (for None, NaN, infinities and non-numbers)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


class _Fmt:
    """Number formatting of the report: money with 2 decimals, percentages with 1."""

    def __init__(self, currency: str) -> None:
        self.currency = currency.upper()
        self.symbol = _CURRENCY_SYMBOLS.get(self.currency, "")

    def money(self, value: Any) -> str:
        x = _num(value)
        if x is None:
            return "–"
        sign = "-" if x < 0 else ""
        body = f"{abs(x):,.2f}"
        return f"{sign}{self.symbol}{body}" if self.symbol else f"{sign}{body} {self.currency}"

    def money_short(self, value: Any) -> str:
        """Compact money for chart axes and bar labels (£1.2M, £350k, £75)."""
        x = _num(value)
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
        x = _num(value)
        return "–" if x is None else f"{round(x):,}"

    @staticmethod
    def pct(value: Any) -> str:
        """A ratio (0.123) as a percentage (12.3%)."""
        x = _num(value)
        return "–" if x is None else f"{x * 100:.1f}%"


# --------------------------------------------------------------------------------------------
# what the template shows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Card:
    label: str
    value: str
    previous: str
    change: str
    tone: str  # good | bad | flat | none


@dataclass(frozen=True)
class _Chart:
    key: str
    title: str
    caption: str
    svg: Markup | None = None
    note: str | None = None


@dataclass(frozen=True)
class _QualityRow:
    batch: str
    committed: str
    adapter: str
    source: str
    table: str
    rows_in: str
    rows_ok: str
    rows_quarantined: str
    quarantined_share: str
    flagged: bool
    reasons: list[str]
    line_types: list[str]
    outliers: str
    outlier_examples: list[str]


@dataclass
class _Month:
    start: date
    values: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# warehouse access
# --------------------------------------------------------------------------------------------


class _Warehouse:
    """A read-only view of the warehouse with the few queries the report needs."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tables = {str(r[0]) for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}

    def has(self, *names: str) -> bool:
        return all(n in self.tables for n in names)

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.con.execute(sql, list(params) if params else None).fetchall()]

    def dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, list(params) if params else None)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...]:
        got = self.rows(sql, params)
        return got[0] if got else ()

    def meta(self) -> dict[str, str]:
        if not self.has("_meta"):
            return {}
        return read_meta(self.con)


def _month_add(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 + months
    return date(idx // 12, idx % 12 + 1, 1)


def _month_name(d: date) -> str:
    return d.strftime("%B %Y")


def _long_date(d: date) -> str:
    return f"{d.day} {d.strftime('%b %Y')}"


# --------------------------------------------------------------------------------------------
# header and KPI cards
# --------------------------------------------------------------------------------------------


@dataclass
class _Span:
    first: date | None = None
    last: date | None = None
    has_times: bool = False

    @property
    def empty(self) -> bool:
        return self.first is None or self.last is None


def _span(wh: _Warehouse) -> _Span:
    if not wh.has("fact_order_line"):
        return _Span()
    lo, hi, timed = wh.one(
        "SELECT min(order_date), max(order_date), "
        "count(*) FILTER (WHERE ordered_at <> CAST(order_date AS TIMESTAMP)) > 0 FROM fact_order_line")
    if lo is None or hi is None:
        return _Span()
    return _Span(lo, hi, bool(timed))


def _header(wh: _Warehouse, span: _Span, fmt: _Fmt) -> dict[str, str]:
    meta = wh.meta()
    orders = customers = products = lines = 0
    if wh.has("fact_order_line"):
        lines, orders, products = wh.one(
            "SELECT count(*), count(DISTINCT order_id) FILTER (WHERE is_sale), "
            "count(DISTINCT product_id) FILTER (WHERE is_sale) FROM fact_order_line")
    if wh.has("dim_customer"):
        customers = wh.one("SELECT count(*) FROM dim_customer WHERE orders > 0")[0]
    if span.first is not None and span.last is not None:
        days = (span.last - span.first).days + 1
        period = f"{_long_date(span.first)} – {_long_date(span.last)} ({days:,} day{'s' if days != 1 else ''})"
    else:
        period = "no orders yet"
    built = meta.get("built_at", "")
    return {
        "period": period,
        "orders": fmt.count(orders),
        "customers": fmt.count(customers),
        "products": fmt.count(products),
        "lines": fmt.count(lines),
        "built_at": built.replace("T", " ").replace("+00:00", " UTC") if built else "unknown",
        "engine": meta.get("engine", "unknown"),
        "currency": fmt.currency,
    }


def _months(wh: _Warehouse) -> dict[date, _Month]:
    if not wh.has("kpi_period"):
        return {}
    out: dict[date, _Month] = {}
    for row in wh.dicts("SELECT * FROM kpi_period WHERE grain = 'month' ORDER BY period_start"):
        start = row["period_start"]
        out[start] = _Month(start, row)
    return out


def _card(label: str, kind: str, higher_better: bool, cur: Any, prev: Any, has_prev: bool,
          fmt: _Fmt) -> _Card:
    show: Callable[[Any], str] = {"money": fmt.money, "count": fmt.count, "rate": fmt.pct}[kind]
    c, p = _num(cur), _num(prev)
    if not has_prev:
        return _Card(label, show(cur), "", "", "none")
    if c is None or p is None:
        return _Card(label, show(cur), show(prev), "–", "none")
    if kind == "rate":
        delta = (c - p) * 100
        change = f"{delta:+.1f} pp"
    elif p == 0:
        return _Card(label, show(cur), show(prev), "–", "none")
    else:
        delta = (c - p) / abs(p) * 100
        change = f"{delta:+.1f}%"
    if abs(delta) < 0.05:
        tone, change = "flat", "±0.0" + (" pp" if kind == "rate" else "%")
    else:
        tone = "good" if (delta > 0) == higher_better else "bad"
    arrow = "▲" if delta >= 0.05 else "▼" if delta <= -0.05 else "●"
    return _Card(label, show(cur), show(prev), f"{arrow} {change}", tone)


def _kpis(months: dict[date, _Month], span: _Span, fmt: _Fmt) -> dict[str, Any]:
    """The KPI cards of the last full month against the month before, with notes on what is compared."""
    if span.first is None or span.last is None or not months:
        return {"cards": [], "month": None, "previous": None, "notes": ["No orders in the warehouse yet."],
                "headline": ""}
    notes: list[str] = []
    first_month = span.first.replace(day=1)
    last_month = span.last.replace(day=1)
    if span.last == month_end(span.last):
        current = last_month
    else:
        current = _month_add(last_month, -1)
        if current < first_month:
            current = last_month
            notes.append(f"The data covers less than one full month: the figures are for "
                         f"{_month_name(current)} up to {_long_date(span.last)}.")
    previous: date | None = _month_add(current, -1)
    if previous is not None and previous < first_month:
        previous = None
        notes.append("There is no earlier month in the data, so there is no comparison with a previous month.")
    elif previous == first_month and span.first > first_month:
        notes.append(f"{_month_name(first_month)} is only partly covered (the data starts on "
                     f"{_long_date(span.first)}), so the comparison understates that month.")
    empty = _Month(current)
    cur = months.get(current, empty).values
    prev = months.get(previous, _Month(current)).values if previous is not None else {}
    cards = [
        _card(card.label, card.kind, card.higher_is_better, cur.get(card.key), prev.get(card.key),
              previous is not None, fmt)
        for card in KPI_CARDS
    ]
    headline = f"Net sales in {_month_name(current)}: {fmt.money(cur.get('net_sales'))}"
    if previous is not None:
        c, p = _num(cur.get("net_sales")), _num(prev.get("net_sales"))
        if c is not None and p not in (None, 0.0):
            assert p is not None
            change = (c - p) / abs(p) * 100
            word = "up" if change >= 0.05 else "down" if change <= -0.05 else "flat"
            headline += (f", {word} {abs(change):.1f}% on {_month_name(previous)}" if word != "flat"
                         else f", flat on {_month_name(previous)}")
        headline += "."
    else:
        headline += "."
    return {
        "cards": cards,
        "month": _month_name(current),
        "previous": _month_name(previous) if previous is not None else None,
        "notes": notes,
        "headline": headline,
    }


# --------------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------------


def _rc(extra: dict[str, Any] | None = None) -> AbstractContextManager[None]:
    """The report's matplotlib style, for this block only (the global rcParams are left alone)."""
    params: Any = {**_STYLE, **(extra or {})}
    return matplotlib.rc_context(params)


def _svg(fig: Figure, key: str, label: str) -> Markup:
    """``fig`` as an inline ``<svg>`` element whose ids cannot clash with other charts on the page."""
    buf = io.StringIO()
    with _rc():
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.08,
                    metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{key}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{key}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{key}-\1"', text)
    # Scale with the page: full width up to the drawn size, height from the viewBox.
    match = re.match(r'<svg([^>]*?)\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"', text)
    if match:
        width = float(match.group(2))
        text = (text[:match.start()] + f'<svg{match.group(1)} width="100%" style="max-width:{width * 4 / 3:.0f}px" '
                f'role="img" aria-label="{html.escape(label)}"' + text[match.end():])
    # Drop indentation: a third smaller and the same picture.
    text = re.sub(r"\n\s+", "\n", text)
    return Markup(text.strip())


def _figure(width: float, height: float) -> Figure:
    with _rc():
        return Figure(figsize=(width, height), layout="constrained")


def _money_axis(ax: Axes, fmt: _Fmt) -> None:
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.money_short(v)))


def _slots(n: int, least: int) -> tuple[float, float]:
    """The x limits of a categorical axis of ``n`` bars: at least ``least`` slots, so one bar stays a bar."""
    return -0.6, max(n, least) - 0.4


def _month_labels(starts: Sequence[date]) -> list[str]:
    labels = []
    for i, d in enumerate(starts):
        labels.append(d.strftime("%b\n%Y") if i == 0 or d.month == 1 else d.strftime("%b"))
    return labels


def _week_ticks(weeks: Sequence[date]) -> tuple[list[int], list[str]]:
    """Tick positions and labels of a weekly axis: one tick per month (the week holding the 1st)."""
    if len(weeks) <= 10:
        return list(range(len(weeks))), [f"{w.day} {w.strftime('%b')}" for w in weeks]
    pos: list[int] = []
    labels: list[str] = []
    for i, w in enumerate(weeks):
        end = w + timedelta(days=6)
        first = end.replace(day=1)
        if first >= w or i == 0:
            pos.append(i)
            labels.append(first.strftime("%b\n%Y") if not labels or first.month == 1 else first.strftime("%b"))
    step = max(1, math.ceil(len(pos) / 14))
    return pos[::step], labels[::step]


def _chart_weekly(wh: _Warehouse, span: _Span, fmt: _Fmt) -> _Chart:
    title = "Weekly sales"
    caption = ("Bars above zero: gross sales of products. Bars below zero: cancellations and returns. "
               "Line: net sales (gross − discounts − cancellations − returns). Weeks start on Monday.")
    rows = wh.rows("SELECT period_start, gross_sales, cancellations + returns, net_sales FROM kpi_period "
                   "WHERE grain = 'week' ORDER BY period_start") if wh.has("kpi_period") else []
    if not rows or span.first is None or span.last is None:
        return _Chart("weekly", title, caption, note="No sales to chart yet.")
    with _rc():
        fig = _figure(10, 3.6)
        ax = fig.subplots()
        # Fill the weeks without any line with zeros, so gaps show as gaps.
        by_week = {r[0]: r for r in rows}
        week = rows[0][0]
        weeks: list[date] = []
        while week <= rows[-1][0]:
            weeks.append(week)
            week += timedelta(days=7)
        gross = [_num(by_week[w][1]) or 0.0 if w in by_week else 0.0 for w in weeks]
        lost = [-(_num(by_week[w][2]) or 0.0) if w in by_week else 0.0 for w in weeks]
        net = [_num(by_week[w][3]) or 0.0 if w in by_week else 0.0 for w in weeks]
        partial = {weeks[0]} if span.first.weekday() != 0 else set()
        if span.last.weekday() != 6:
            partial.add(weeks[-1])
        alpha = [0.45 if w in partial else 1.0 for w in weeks]
        x = list(range(len(weeks)))
        bars = ax.bar(x, gross, width=0.8, color=_LIGHT_BLUE, label="gross sales")
        lost_bars = ax.bar(x, lost, width=0.8, color=_RED, label="cancellations + returns")
        for collection in (bars, lost_bars):
            for patch, a in zip(collection.patches, alpha, strict=True):
                patch.set_alpha(a)
                if a < 1:
                    patch.set_hatch("///")
        ax.plot(x, net, color=_BLUE, linewidth=1.8, marker="o" if len(x) <= 30 else None, markersize=3,
                label="net sales")
        ax.axhline(0, color="#9ca3af", linewidth=0.8)
        _money_axis(ax, fmt)
        ax.set_xticks(*_week_ticks(weeks))
        ax.set_xlim(*_slots(len(weeks), 8))
        ax.legend(handles=[
            Line2D([], [], color=_BLUE, linewidth=1.8, label="net sales"),
            Patch(color=_LIGHT_BLUE, label="gross sales"),
            Patch(color=_RED, label="cancellations + returns"),
        ], **_LEGEND, ncols=3)
        if partial:
            ax.text(1.0, 1.02, "hatched: week only partly in the data", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=8, color=_GREY)
        svg = _svg(fig, "weekly", title)
    return _Chart("weekly", title, caption, svg)


def _chart_monthly(months: dict[date, _Month], span: _Span, fmt: _Fmt) -> _Chart:
    title = "Orders and average order value by month"
    caption = "Bars: orders with at least one product sale (left axis). Line: average order value (right axis)."
    if not months or span.first is None or span.last is None:
        return _Chart("monthly", title, caption, note="No orders to chart yet.")
    starts = list(months)
    with _rc():
        fig = _figure(10, 3.4)
        ax = fig.subplots()
        pos = list(range(len(starts)))
        orders = [_num(months[m].values.get("orders")) or 0.0 for m in starts]
        aov = [_num(months[m].values.get("aov")) for m in starts]
        partial = {starts[0]} if span.first.day != 1 else set()
        if span.last != month_end(span.last):
            partial.add(starts[-1])
        bars = ax.bar(pos, orders, width=0.65, color=_TEAL, label="orders")
        for patch, m in zip(bars.patches, starts, strict=True):
            if m in partial:
                patch.set_alpha(0.45)
                patch.set_hatch("///")
        ax.set_ylabel("orders")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax2 = ax.twinx()
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        ax2.plot([p for p, v in zip(pos, aov, strict=True) if v is not None], [v for v in aov if v is not None],
                 color=_BLUE, marker="o", markersize=4, linewidth=1.8, label="average order value")
        ax2.set_ylim(bottom=0)
        ax2.set_ylabel("average order value")
        _money_axis(ax2, fmt)
        ax.set_xticks(pos, _month_labels(starts))
        ax.set_xlim(*_slots(len(pos), 6))
        ax.legend(handles=[
            Patch(color=_TEAL, label="orders"),
            Line2D([], [], color=_BLUE, marker="o", markersize=4, linewidth=1.8, label="average order value"),
        ], **_LEGEND, ncols=2)
        ax.set_ylim(top=max([*orders, 1.0]) * 1.08)
        ax2.set_ylim(top=max([v for v in aov if v is not None] + [1.0]) * 1.08)
        if partial:
            ax.text(1.0, 1.02, "hatched: month only partly in the data", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=8, color=_GREY)
        svg = _svg(fig, "monthly", title)
    return _Chart("monthly", title, caption, svg)


def _chart_customers(months: dict[date, _Month]) -> _Chart:
    title = "New and returning customers by month"
    caption = ("Customers with a product sale in the month: new ones bought for the first time ever, "
               "returning ones had bought before. The share of returning customers is the repeat rate.")
    starts = list(months)
    new = [_num(months[m].values.get("new_customers")) or 0.0 for m in starts]
    ret = [_num(months[m].values.get("returning_customers")) or 0.0 for m in starts]
    if sum(new) + sum(ret) <= 0:
        return _Chart("customers", title, caption,
                      note="No known customers in the data (all orders are guest orders), so there is no "
                           "customer chart.")
    with _rc():
        fig = _figure(10, 3.2)
        ax = fig.subplots()
        pos = list(range(len(starts)))
        ax.bar(pos, ret, width=0.65, color=_BLUE, label="returning")
        ax.bar(pos, new, width=0.65, bottom=ret, color=_AMBER, label="new")
        ax.set_xticks(pos, _month_labels(starts))
        ax.set_xlim(*_slots(len(pos), 6))
        ax.set_ylabel("customers")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.set_ylim(top=max(n + r for n, r in zip(new, ret, strict=True)) * 1.08)
        ax.legend(**_LEGEND, ncols=2)
        svg = _svg(fig, "customers", title)
    return _Chart("customers", title, caption, svg)


def _truncate(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _barh(key: str, title: str, caption: str, labels: list[str], values: list[float], fmt: _Fmt,
          color: str) -> _Chart:
    with _rc({"axes.grid.axis": "x"}):
        fig = _figure(10, 0.6 + 0.34 * len(labels))
        ax = fig.subplots()
        pos = list(range(len(labels)))
        ax.barh(pos, values, height=0.7, color=[color if v >= 0 else _RED for v in values])
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.money_short(v)))
        top = max([*values, 0.0])
        for p, v in zip(pos, values, strict=True):
            ax.text(max(v, 0.0) + top * 0.01, p, fmt.money(v), va="center", ha="left", fontsize=8.5,
                    color="#374151")
        ax.set_xlim(min([*values, 0.0]) * 1.05, top * 1.22 if top > 0 else 1.0)
        ax.spines["left"].set_visible(False)
        svg = _svg(fig, key, title)
    return _Chart(key, title, caption, svg)


def _chart_top_products(wh: _Warehouse, fmt: _Fmt) -> _Chart:
    title = "Top 10 products by net sales"
    caption = "Over the whole data period; net sales after discounts, cancellations and returns."
    if not wh.has("kpi_product_month"):
        return _Chart("products", title, caption, note="No product sales yet.")
    rows = wh.rows("SELECT product_id, max(name), sum(net_sales) AS net FROM kpi_product_month "
                   "GROUP BY product_id HAVING sum(net_sales) IS NOT NULL ORDER BY net DESC, product_id LIMIT 10")
    if not rows:
        return _Chart("products", title, caption, note="No product sales yet.")
    labels = []
    for pid, name, _net in rows:
        pid, name = str(pid), str(name or pid)
        labels.append(_truncate(name, 40) if name == pid else f"{_truncate(name, 40)} · {_truncate(pid, 14)}")
    return _barh("products", title, caption, labels, [_num(r[2]) or 0.0 for r in rows], fmt, _BLUE)


def _chart_top_categories(wh: _Warehouse, fmt: _Fmt) -> _Chart:
    title = "Top 10 categories by net sales"
    caption = "Over the whole data period; net sales after discounts, cancellations and returns."
    if not wh.has("kpi_category_month"):
        return _Chart("categories", title, caption, note="No category sales yet.")
    rows = wh.rows("SELECT category, sum(net_sales) AS net FROM kpi_category_month "
                   "GROUP BY category HAVING sum(net_sales) IS NOT NULL ORDER BY net DESC, category LIMIT 10")
    if len(rows) < 2:
        return _Chart("categories", title, caption,
                      note="The catalogue has no categories (every product is "
                           f"“{rows[0][0] if rows else 'uncategorised'}”), so there is no category chart. "
                           "Ingest a product table with a category column to get one.")
    labels = [_truncate(str(r[0] or "uncategorised"), 48) for r in rows]
    return _barh("categories", title, caption, labels, [_num(r[1]) or 0.0 for r in rows], fmt, _TEAL)


def _chart_heatmap(wh: _Warehouse, span: _Span) -> _Chart:
    title = "When orders come in"
    caption = "Orders with a product sale by weekday and hour of the order time stamp (the shop's local time)."
    if not span.has_times:
        return _Chart("heatmap", title, caption,
                      note="The order time stamps carry dates only (no times of day), so there is no "
                           "weekday × hour chart.")
    rows = wh.rows("SELECT isodow(ordered_at), hour(ordered_at), count(DISTINCT order_id) FROM fact_order_line "
                   "WHERE is_sale GROUP BY 1, 2")
    if not rows:
        return _Chart("heatmap", title, caption, note="No orders to chart yet.")
    lo, hi = min(int(r[1]) for r in rows), max(int(r[1]) for r in rows)
    hours = list(range(lo, hi + 1))
    grid = [[0.0 for _ in hours] for _ in range(7)]
    for dow, hour, n in rows:
        grid[int(dow) - 1][int(hour) - lo] = float(n)
    peak = max(max(r) for r in grid) or 1.0
    with _rc({"axes.grid": False}):
        fig = _figure(min(10.0, 2.2 + 0.55 * len(hours)), 3.2)
        ax = fig.subplots()
        image = ax.imshow(grid, cmap="Blues", aspect="auto", vmin=0, vmax=peak)
        ax.set_yticks(range(7), _WEEKDAYS)
        ax.set_xticks(range(len(hours)), [f"{h:02d}" for h in hours])
        ax.set_xlabel("hour of day")
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        if len(hours) <= 24:
            for d in range(7):
                for i in range(len(hours)):
                    v = grid[d][i]
                    ax.text(i, d, f"{v:,.0f}" if v else "·", ha="center", va="center", fontsize=7.5,
                            color="white" if v > peak * 0.55 else "#374151")
        bar = fig.colorbar(image, ax=ax, shrink=0.9, pad=0.01)
        bar.set_label("orders")
        bar.locator = MaxNLocator(nbins=5, integer=True)
        bar.update_ticks()
        bar.outline.set_visible(False)
        svg = _svg(fig, "heatmap", title)
    return _Chart("heatmap", title, caption, svg)


# --------------------------------------------------------------------------------------------
# data quality
# --------------------------------------------------------------------------------------------


def _quality(wh: _Warehouse, fmt: _Fmt) -> list[_QualityRow]:
    if not wh.has("ingest_report"):
        return []
    out = []
    for r in wh.dicts("SELECT * FROM ingest_report ORDER BY seq, table_name <> 'order_lines', table_name"):
        try:
            rep = json.loads(r.get("report") or "{}")
        except (TypeError, ValueError):
            rep = {}
        if not isinstance(rep, dict):
            rep = {}
        rows_in = _num(r.get("rows_in")) or 0.0
        quarantined = _num(r.get("rows_quarantined")) or 0.0
        reasons = rep.get("reasons") or {}
        line_types = rep.get("line_types") or {}
        outliers = [o for o in rep.get("outliers") or [] if isinstance(o, dict)]
        listed = [o for o in outliers if "more" not in o]
        n_out = len(listed) + sum(int(_num(o.get("more")) or 0) for o in outliers if "more" in o)
        examples = [
            f"{o.get('product_id', '?')}: quantity {fmt.count(o.get('quantity'))} (z {_num(o.get('z')) or 0:.1f})"
            for o in listed[:3]
        ]
        source = str(r.get("source") or "")
        names = ", ".join(Path(s.strip()).name for s in source.split(",") if s.strip())
        out.append(_QualityRow(
            batch=str(r.get("batch_id") or "")[:10],
            committed=str(r.get("committed_at") or "").replace("T", " ").replace("+00:00", " UTC"),
            adapter=str(r.get("adapter") or ""),
            source=_truncate(names, 60) if names else "–",
            table=str(r.get("table_name") or ""),
            rows_in=fmt.count(rows_in),
            rows_ok=fmt.count(r.get("rows_ok")),
            rows_quarantined=fmt.count(quarantined),
            quarantined_share=fmt.pct(quarantined / rows_in) if rows_in else "–",
            flagged=quarantined > 0,
            reasons=[f"{_truncate(str(k), 70)}: {fmt.count(v)}"
                     for k, v in sorted(reasons.items(), key=lambda kv: -(_num(kv[1]) or 0))[:3]],
            line_types=[f"{'not given (sale or return by sign)' if k == '(none)' else k} {fmt.count(v)}"
                        for k, v in sorted(line_types.items(), key=lambda kv: -(_num(kv[1]) or 0))],
            outliers=fmt.count(n_out) if r.get("table_name") == "order_lines" else "–",
            outlier_examples=examples,
        ))
    return out


# --------------------------------------------------------------------------------------------
# definitions: read from the SQL model at run time so they never drift from the code
# --------------------------------------------------------------------------------------------


def _definitions() -> tuple[list[str], list[tuple[str, str]]]:
    """The KPI definitions of the header comment of ``*_kpi_period.sql``: (intro lines, (term, meaning))."""
    folder = resources.files("shopops.warehouse") / "models"
    entry = next((e for e in sorted(folder.iterdir(), key=lambda e: e.name)
                  if e.name.endswith("_kpi_period.sql")), None)
    if entry is None:
        return [], []
    intro: list[str] = []
    terms: list[tuple[str, str]] = []
    for line in entry.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        body = line[2:]
        # "--   term   meaning" (2-3 spaces in); deeper-indented lines continue the meaning.
        match = re.match(r"^ {2,3}(\S+)\s+(.+)$", body)
        if match:
            terms.append((match.group(1), match.group(2).strip()))
        elif terms and re.match(r"^ {4,}\S", body):
            terms[-1] = (terms[-1][0], f"{terms[-1][1]} {body.strip()}")
        elif body.strip():
            intro.append(body.strip())
    # "kpi_period: the shop's KPIs ..." describes the table; the rest introduces the terms.
    intro = [re.sub(r"^Definitions\s*(\([^)]*\))?:\s*", "", s) for s in intro if not s.startswith("kpi_period:")]
    return [s[:1].upper() + s[1:] for s in intro if s], terms


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------


def _template() -> jinja2.Template:
    text = (resources.files("shopops") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    return env.from_string(text)


def _safe(build: Callable[[], _Chart], key: str, title: str) -> _Chart:
    """Build one chart; a chart that fails becomes a note instead of failing the report."""
    try:
        return build()
    except Exception as exc:  # a report with one chart missing beats no report
        return _Chart(key, title, "", note=f"This chart could not be drawn: {type(exc).__name__}: {exc}")


def write_report(
    data_dir: Path,
    out: Path | None = None,
    *,
    title: str = "shopops report",
    settings: Settings | None = None,
) -> Path:
    """Write a self-contained HTML report of the shop.

    The report shows the data period and size, KPI cards of the last full month against the month
    before, charts (weekly sales, monthly orders and average order value, new and returning
    customers, top products and categories, orders by weekday and hour), the data quality of every
    ingest batch and the KPI definitions. Everything is in one file: CSS inline, charts as inline SVG.

    Parameters
    ----------
    data_dir : Path
        The shopops data directory holding ``warehouse.duckdb``.
    out : Path or None
        Where to write the HTML file; default ``<data_dir>/reports/report.html``.
    title : str
        Title of the report.
    settings : Settings or None
        Settings (the shop currency); default from the environment.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    WarehouseError
        When there is no warehouse in ``data_dir`` or it cannot be read.
    """
    started = time.perf_counter()
    data_dir = Path(data_dir)
    settings = settings or Settings()
    fmt = _Fmt(settings.currency)
    path = data_dir / "warehouse.duckdb"
    if not path.is_file():
        raise WarehouseError(f"{path}: no warehouse; ingest data first (shopops ingest FILE --data {data_dir})")
    try:
        con = connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"{path}: cannot open the warehouse: {exc}") from None
    try:
        wh = _Warehouse(con)
        span = _span(wh)
        months = _months(wh)
        header = _header(wh, span, fmt)
        kpis = _kpis(months, span, fmt)
        charts = [] if span.empty else [
            _safe(lambda: _chart_weekly(wh, span, fmt), "weekly", "Weekly sales"),
            _safe(lambda: _chart_monthly(months, span, fmt), "monthly", "Orders and average order value"),
            _safe(lambda: _chart_customers(months), "customers", "New and returning customers"),
            _safe(lambda: _chart_top_products(wh, fmt), "products", "Top 10 products"),
            _safe(lambda: _chart_top_categories(wh, fmt), "categories", "Top 10 categories"),
            _safe(lambda: _chart_heatmap(wh, span), "heatmap", "When orders come in"),
        ]
        quality = _quality(wh, fmt)
    except duckdb.Error as exc:
        raise WarehouseError(f"{path}: cannot read the warehouse: {exc}") from None
    finally:
        con.close()
    intro, terms = _definitions()
    text = _template().render(
        title=title,
        header=header,
        kpis=kpis,
        charts=charts,
        quality=quality,
        definitions_intro=intro,
        definitions=terms,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=f"{time.perf_counter() - started:.1f}",
    )
    target = Path(out) if out is not None else data_dir / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
