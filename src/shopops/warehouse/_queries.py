"""The plain questions asked of the warehouse: KPIs by period, best sellers, ingest reports, the quarantine.

These are reads, not models: each is one bound query through the :class:`Reader`, with its arguments
checked first so that a wrong one says what to write instead.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from shopops._dates import parse_day
from shopops.errors import ShopopsError
from shopops.warehouse._measures import sales_totals
from shopops.warehouse._reader import Reader

__all__ = ["GRAINS", "TOP_BY", "ingest_reports", "kpis", "quarantined", "top_sales"]

GRAINS = ("day", "week", "month")
TOP_BY = ("net_sales", "gross_sales", "units", "orders")


def kpis(reader: Reader, grain: str = "month", start: str | date | None = None,
         end: str | date | None = None) -> pd.DataFrame:
    """The KPIs by period (definitions in ``docs/data.md``).

    Parameters
    ----------
    reader : Reader
        The shop's warehouse.
    grain : str
        ``day``, ``week`` (ISO, from Monday) or ``month``.
    start, end : str or date or None
        Keep periods starting on or after ``start`` and on or before ``end`` (YYYY-MM-DD).
    """
    if grain not in GRAINS:
        raise ShopopsError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    lo, hi = parse_day(start, "start"), parse_day(end, "end")
    return reader.sql(
        "SELECT * EXCLUDE (grain) FROM kpi_period WHERE grain = ? AND (? IS NULL OR period_start >= ?) "
        "AND (? IS NULL OR period_start <= ?) ORDER BY period_start",
        [grain, lo, lo, hi, hi],
    )


def top_sales(reader: Reader, group: str, n: int = 10, start: str | date | None = None,
              end: str | date | None = None, by: str = "net_sales") -> pd.DataFrame:
    """The ``n`` best products (``group="product"``) or categories (``"category"``) between ``start`` and ``end``."""
    if group not in ("product", "category"):
        raise ShopopsError(f"group must be 'product' or 'category', not {group!r}")
    if by not in TOP_BY:
        raise ShopopsError(f"by must be one of {', '.join(TOP_BY)}, not {by!r}")
    if n < 1:
        raise ShopopsError(f"n must be at least 1, not {n}")
    lo, hi = parse_day(start, "start"), parse_day(end, "end")
    cols = "f.product_id, any_value(p.name) AS name, any_value(f.category) AS category" \
        if group == "product" else "f.category"
    keys = "f.product_id" if group == "product" else "f.category"
    return reader.sql(
        f"""SELECT {cols}, {sales_totals()}
            FROM fact_order_line f LEFT JOIN dim_product p ON p.product_id = f.product_id
            WHERE f.is_product AND (? IS NULL OR f.order_date >= ?) AND (? IS NULL OR f.order_date <= ?)
            GROUP BY {keys} ORDER BY {by} DESC, {keys} LIMIT {int(n)}""",
        [lo, lo, hi, hi],
    )


def ingest_reports(reader: Reader) -> pd.DataFrame:
    """Rows in / ok / quarantined per ingest batch and table."""
    return reader.sql("SELECT * EXCLUDE (report) FROM ingest_report ORDER BY seq, table_name")


def quarantined(reader: Reader, table: str | None = None, limit: int = 1000) -> pd.DataFrame:
    """Quarantined rows with their reason and source file/row (of one canonical ``table`` when given)."""
    return reader.sql(
        "SELECT * FROM quarantine WHERE (? IS NULL OR table_name = ?) ORDER BY table_name, _source_file, "
        f"_source_row LIMIT {int(limit)}",
        [table, table],
    )
