"""What the report shows, read from the warehouse through the shared read-only Reader."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from shopops._dates import month_end
from shopops.report._format import Fmt, long_date, month_add, month_name, num, truncate
from shopops.warehouse import KPI_CARDS, Reader

__all__ = ["Card", "Month", "QualityRow", "Span", "heatmap_rows", "kpi_summary", "read_definitions",
           "read_header", "read_months", "read_quality", "read_span", "top_category_rows", "top_product_rows",
           "weekly_rows"]


def _dicts(reader: Reader, sql: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = reader.arrow(sql).to_pylist()
    return rows


def _rows(reader: Reader, sql: str) -> list[tuple[Any, ...]]:
    table = reader.arrow(sql)
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


def _one(reader: Reader, sql: str) -> tuple[Any, ...]:
    got = _rows(reader, sql)
    return got[0] if got else ()


@dataclass
class Span:
    """The first and last order day, and whether order times carry a time of day."""

    first: date | None = None
    last: date | None = None
    has_times: bool = False

    @property
    def empty(self) -> bool:
        return self.first is None or self.last is None


@dataclass
class Month:
    """One month of ``kpi_period`` (column → value)."""

    start: date
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Card:
    """A KPI card as the template shows it."""

    label: str
    value: str
    previous: str
    change: str
    tone: str  # good | bad | flat | none


@dataclass(frozen=True)
class QualityRow:
    """One row of the data-quality table (an ingest batch and table)."""

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


def read_span(reader: Reader) -> Span:
    """The data period of ``fact_order_line``."""
    if not reader.has("fact_order_line"):
        return Span()
    lo, hi, timed = _one(reader, "SELECT min(order_date), max(order_date), "
                                 "count(*) FILTER (WHERE ordered_at <> CAST(order_date AS TIMESTAMP)) > 0 "
                                 "FROM fact_order_line")
    if lo is None or hi is None:
        return Span()
    return Span(lo, hi, bool(timed))


def read_header(reader: Reader, span: Span, fmt: Fmt) -> dict[str, str]:
    """The report header: data period, size, build time and engine."""
    meta = reader.meta()
    orders = customers = products = lines = 0
    if reader.has("fact_order_line"):
        lines, orders, products = _one(reader, "SELECT count(*), count(DISTINCT order_id) FILTER (WHERE is_sale), "
                                               "count(DISTINCT product_id) FILTER (WHERE is_sale) FROM fact_order_line")
    if reader.has("dim_customer"):
        customers = _one(reader, "SELECT count(*) FROM dim_customer WHERE orders > 0")[0]
    if span.first is not None and span.last is not None:
        days = (span.last - span.first).days + 1
        period = f"{long_date(span.first)} – {long_date(span.last)} ({days:,} day{'s' if days != 1 else ''})"
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


def read_months(reader: Reader) -> dict[date, Month]:
    """``kpi_period`` by month, oldest first."""
    if not reader.has("kpi_period"):
        return {}
    out: dict[date, Month] = {}
    for row in _dicts(reader, "SELECT * FROM kpi_period WHERE grain = 'month' ORDER BY period_start"):
        start = row["period_start"]
        out[start] = Month(start, row)
    return out


def _card(label: str, kind: str, higher_better: bool, cur: Any, prev: Any, has_prev: bool,
          fmt: Fmt) -> Card:
    show: Callable[[Any], str] = {"money": fmt.money, "count": fmt.count, "rate": fmt.pct}[kind]
    c, p = num(cur), num(prev)
    if not has_prev:
        return Card(label, show(cur), "", "", "none")
    if c is None or p is None:
        return Card(label, show(cur), show(prev), "–", "none")
    if kind == "rate":
        delta = (c - p) * 100
        change = f"{delta:+.1f} pp"
    elif p == 0:
        return Card(label, show(cur), show(prev), "–", "none")
    else:
        delta = (c - p) / abs(p) * 100
        change = f"{delta:+.1f}%"
    if abs(delta) < 0.05:
        tone, change = "flat", "±0.0" + (" pp" if kind == "rate" else "%")
    else:
        tone = "good" if (delta > 0) == higher_better else "bad"
    arrow = "▲" if delta >= 0.05 else "▼" if delta <= -0.05 else "●"
    return Card(label, show(cur), show(prev), f"{arrow} {change}", tone)


def kpi_summary(months: dict[date, Month], span: Span, fmt: Fmt) -> dict[str, Any]:
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
        current = month_add(last_month, -1)
        if current < first_month:
            current = last_month
            notes.append(f"The data covers less than one full month: the figures are for "
                         f"{month_name(current)} up to {long_date(span.last)}.")
    previous: date | None = month_add(current, -1)
    if previous is not None and previous < first_month:
        previous = None
        notes.append("There is no earlier month in the data, so there is no comparison with a previous month.")
    elif previous == first_month and span.first > first_month:
        notes.append(f"{month_name(first_month)} is only partly covered (the data starts on "
                     f"{long_date(span.first)}), so the comparison understates that month.")
    empty = Month(current)
    cur = months.get(current, empty).values
    prev = months.get(previous, Month(current)).values if previous is not None else {}
    cards = [
        _card(card.label, card.kind, card.higher_is_better, cur.get(card.key), prev.get(card.key),
              previous is not None, fmt)
        for card in KPI_CARDS
    ]
    headline = f"Net sales in {month_name(current)}: {fmt.money(cur.get('net_sales'))}"
    if previous is not None:
        c, p = num(cur.get("net_sales")), num(prev.get("net_sales"))
        if c is not None and p not in (None, 0.0):
            assert p is not None
            change = (c - p) / abs(p) * 100
            word = "up" if change >= 0.05 else "down" if change <= -0.05 else "flat"
            headline += (f", {word} {abs(change):.1f}% on {month_name(previous)}" if word != "flat"
                         else f", flat on {month_name(previous)}")
        headline += "."
    else:
        headline += "."
    return {
        "cards": cards,
        "month": month_name(current),
        "previous": month_name(previous) if previous is not None else None,
        "notes": notes,
        "headline": headline,
    }


def read_quality(reader: Reader, fmt: Fmt) -> list[QualityRow]:
    """The data quality of every ingest batch and table."""
    if not reader.has("ingest_report"):
        return []
    out = []
    for r in _dicts(reader, "SELECT * FROM ingest_report ORDER BY seq, table_name <> 'order_lines', table_name"):
        try:
            rep = json.loads(r.get("report") or "{}")
        except (TypeError, ValueError):
            rep = {}
        if not isinstance(rep, dict):
            rep = {}
        rows_in = num(r.get("rows_in")) or 0.0
        quarantined = num(r.get("rows_quarantined")) or 0.0
        reasons = rep.get("reasons") or {}
        line_types = rep.get("line_types") or {}
        outliers = [o for o in rep.get("outliers") or [] if isinstance(o, dict)]
        listed = [o for o in outliers if "more" not in o]
        n_out = len(listed) + sum(int(num(o.get("more")) or 0) for o in outliers if "more" in o)
        examples = [
            f"{o.get('product_id', '?')}: quantity {fmt.count(o.get('quantity'))} (z {num(o.get('z')) or 0:.1f})"
            for o in listed[:3]
        ]
        source = str(r.get("source") or "")
        names = ", ".join(Path(s.strip()).name for s in source.split(",") if s.strip())
        out.append(QualityRow(
            batch=str(r.get("batch_id") or "")[:10],
            committed=str(r.get("committed_at") or "").replace("T", " ").replace("+00:00", " UTC"),
            adapter=str(r.get("adapter") or ""),
            source=truncate(names, 60) if names else "–",
            table=str(r.get("table_name") or ""),
            rows_in=fmt.count(rows_in),
            rows_ok=fmt.count(r.get("rows_ok")),
            rows_quarantined=fmt.count(quarantined),
            quarantined_share=fmt.pct(quarantined / rows_in) if rows_in else "–",
            flagged=quarantined > 0,
            reasons=[f"{truncate(str(k), 70)}: {fmt.count(v)}"
                     for k, v in sorted(reasons.items(), key=lambda kv: -(num(kv[1]) or 0))[:3]],
            line_types=[f"{'not given (sale or return by sign)' if k == '(none)' else k} {fmt.count(v)}"
                        for k, v in sorted(line_types.items(), key=lambda kv: -(num(kv[1]) or 0))],
            outliers=fmt.count(n_out) if r.get("table_name") == "order_lines" else "–",
            outlier_examples=examples,
        ))
    return out


def read_definitions() -> tuple[list[str], list[tuple[str, str]]]:
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


def weekly_rows(reader: Reader) -> list[tuple[Any, ...]]:
    """(week start, gross sales, cancellations + returns, net sales) of every week, oldest first."""
    if not reader.has("kpi_period"):
        return []
    return _rows(reader, "SELECT period_start, gross_sales, cancellations + returns, net_sales FROM kpi_period "
                         "WHERE grain = 'week' ORDER BY period_start")


def top_product_rows(reader: Reader) -> list[tuple[Any, ...]] | None:
    """(product id, name, net sales) of the 10 best products; None without ``kpi_product_month``."""
    if not reader.has("kpi_product_month"):
        return None
    return _rows(reader, "SELECT product_id, max(name), sum(net_sales) AS net FROM kpi_product_month "
                         "GROUP BY product_id HAVING sum(net_sales) IS NOT NULL ORDER BY net DESC, product_id LIMIT 10")


def top_category_rows(reader: Reader) -> list[tuple[Any, ...]] | None:
    """(category, net sales) of the 10 best categories; None without ``kpi_category_month``."""
    if not reader.has("kpi_category_month"):
        return None
    return _rows(reader, "SELECT category, sum(net_sales) AS net FROM kpi_category_month "
                         "GROUP BY category HAVING sum(net_sales) IS NOT NULL ORDER BY net DESC, category LIMIT 10")


def heatmap_rows(reader: Reader) -> list[tuple[Any, ...]]:
    """(ISO weekday, hour, orders) of the orders with a product sale."""
    return _rows(reader, "SELECT isodow(ordered_at), hour(ordered_at), count(DISTINCT order_id) FROM fact_order_line "
                         "WHERE is_sale GROUP BY 1, 2")
