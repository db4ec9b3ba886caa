"""The report's charts, drawn with matplotlib as inline SVG (text stays text, ids are per chart)."""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from shopops._dates import month_end
from shopops.report._data import Month, Span
from shopops.report._format import Fmt, num, truncate

__all__ = ["Chart", "chart_customers", "chart_heatmap", "chart_monthly", "chart_top_categories",
           "chart_top_products", "chart_weekly", "safe_chart"]


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


@dataclass(frozen=True)
class Chart:
    """One chart of the report: its inline SVG, or a note saying why there is none."""

    key: str
    title: str
    caption: str
    svg: Markup | None = None
    note: str | None = None


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


def _money_axis(ax: Axes, fmt: Fmt) -> None:
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


def chart_weekly(rows: list[tuple[Any, ...]], span: Span, fmt: Fmt) -> Chart:
    """Weekly gross sales, cancellations + returns and net sales (``rows``: :func:`weekly_rows`)."""
    title = "Weekly sales"
    caption = ("Bars above zero: gross sales of products. Bars below zero: cancellations and returns. "
               "Line: net sales (gross − discounts − cancellations − returns). Weeks start on Monday.")
    if not rows or span.first is None or span.last is None:
        return Chart("weekly", title, caption, note="No sales to chart yet.")
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
        gross = [num(by_week[w][1]) or 0.0 if w in by_week else 0.0 for w in weeks]
        lost = [-(num(by_week[w][2]) or 0.0) if w in by_week else 0.0 for w in weeks]
        net = [num(by_week[w][3]) or 0.0 if w in by_week else 0.0 for w in weeks]
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
    return Chart("weekly", title, caption, svg)


def chart_monthly(months: dict[date, Month], span: Span, fmt: Fmt) -> Chart:
    """Orders (bars) and average order value (line) by month."""
    title = "Orders and average order value by month"
    caption = "Bars: orders with at least one product sale (left axis). Line: average order value (right axis)."
    if not months or span.first is None or span.last is None:
        return Chart("monthly", title, caption, note="No orders to chart yet.")
    starts = list(months)
    with _rc():
        fig = _figure(10, 3.4)
        ax = fig.subplots()
        pos = list(range(len(starts)))
        orders = [num(months[m].values.get("orders")) or 0.0 for m in starts]
        aov = [num(months[m].values.get("aov")) for m in starts]
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
    return Chart("monthly", title, caption, svg)


def chart_customers(months: dict[date, Month]) -> Chart:
    """New and returning customers by month."""
    title = "New and returning customers by month"
    caption = ("Customers with a product sale in the month: new ones bought for the first time ever, "
               "returning ones had bought before. The share of returning customers is the repeat rate.")
    starts = list(months)
    new = [num(months[m].values.get("new_customers")) or 0.0 for m in starts]
    ret = [num(months[m].values.get("returning_customers")) or 0.0 for m in starts]
    if sum(new) + sum(ret) <= 0:
        return Chart("customers", title, caption,
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
    return Chart("customers", title, caption, svg)


def _barh(key: str, title: str, caption: str, labels: list[str], values: list[float], fmt: Fmt,
          color: str) -> Chart:
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
    return Chart(key, title, caption, svg)


def chart_top_products(rows: list[tuple[Any, ...]] | None, fmt: Fmt) -> Chart:
    """The 10 best products (``rows``: :func:`top_product_rows`)."""
    title = "Top 10 products by net sales"
    caption = "Over the whole data period; net sales after discounts, cancellations and returns."
    if not rows:
        return Chart("products", title, caption, note="No product sales yet.")
    labels = []
    for pid, name, _net in rows:
        pid, name = str(pid), str(name or pid)
        labels.append(truncate(name, 40) if name == pid else f"{truncate(name, 40)} · {truncate(pid, 14)}")
    return _barh("products", title, caption, labels, [num(r[2]) or 0.0 for r in rows], fmt, _BLUE)


def chart_top_categories(rows: list[tuple[Any, ...]] | None, fmt: Fmt) -> Chart:
    """The 10 best categories (``rows``: :func:`top_category_rows`, None without the table)."""
    title = "Top 10 categories by net sales"
    caption = "Over the whole data period; net sales after discounts, cancellations and returns."
    if rows is None:
        return Chart("categories", title, caption, note="No category sales yet.")
    if len(rows) < 2:
        return Chart("categories", title, caption,
                      note="The catalogue has no categories (every product is "
                           f"“{rows[0][0] if rows else 'uncategorised'}”), so there is no category chart. "
                           "Ingest a product table with a category column to get one.")
    labels = [truncate(str(r[0] or "uncategorised"), 48) for r in rows]
    return _barh("categories", title, caption, labels, [num(r[1]) or 0.0 for r in rows], fmt, _TEAL)


def chart_heatmap(rows: Callable[[], list[tuple[Any, ...]]], span: Span) -> Chart:
    """Orders by weekday and hour (``rows``: reads :func:`heatmap_rows`, only when orders carry times)."""
    title = "When orders come in"
    caption = "Orders with a product sale by weekday and hour of the order time stamp (the shop's local time)."
    if not span.has_times:
        return Chart("heatmap", title, caption,
                      note="The order time stamps carry dates only (no times of day), so there is no "
                           "weekday × hour chart.")
    counts = rows()
    if not counts:
        return Chart("heatmap", title, caption, note="No orders to chart yet.")
    lo, hi = min(int(r[1]) for r in counts), max(int(r[1]) for r in counts)
    hours = list(range(lo, hi + 1))
    grid = [[0.0 for _ in hours] for _ in range(7)]
    for dow, hour, n in counts:
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
    return Chart("heatmap", title, caption, svg)


def safe_chart(build: Callable[[], Chart], key: str, title: str) -> Chart:
    """Build one chart; a chart that fails becomes a note instead of failing the report."""
    try:
        return build()
    except Exception as exc:  # a report with one chart missing beats no report
        return Chart(key, title, "", note=f"This chart could not be drawn: {type(exc).__name__}: {exc}")
