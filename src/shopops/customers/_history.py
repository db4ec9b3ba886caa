"""Purchase histories read from the warehouse: one row per customer order."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from shopops.errors import CustomerDataError

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = ["ORDER_COLUMNS", "as_of_date", "customer_orders", "purchases"]

ORDER_COLUMNS = ("customer_id", "order_id", "ordered_at", "order_date", "sales", "refunds", "units", "products")

# Product lines of known customers: sales, and the cancellations/returns that refund them. Lines without a
# customer id (a quarter of Online Retail) cannot belong to any customer's history and are left out here.
_ORDERS_SQL = """
SELECT customer_id, order_id, min(ordered_at) AS ordered_at, CAST(min(ordered_at) AS DATE) AS order_date,
       sum(CASE WHEN line_type = 'sale' THEN net_amount ELSE 0 END) AS sales,
       0.0 - sum(CASE WHEN line_type IN ('cancellation', 'return') THEN net_amount ELSE 0 END) AS refunds,
       CAST(sum(CASE WHEN line_type = 'sale' THEN quantity ELSE 0 END) AS BIGINT) AS units,
       count(DISTINCT CASE WHEN line_type = 'sale' THEN product_id END) AS products
FROM fact_order_line
WHERE is_product AND customer_id IS NOT NULL AND line_type IN ('sale', 'cancellation', 'return')
GROUP BY customer_id, order_id
"""


def customer_orders(reader: Reader) -> pd.DataFrame:
    """Every order document of a known customer: ``sales`` (net of line discounts) and ``refunds``.

    A cancellation or return document is its own row with ``sales == 0`` and positive ``refunds``.
    """
    orders = reader.sql(_ORDERS_SQL)
    if orders.empty:
        raise CustomerDataError(
            f"no order lines with a customer id in {reader.data_dir}; customer analytics need known customers "
            "(ingest order lines with a customer_id column)"
        )
    orders["customer_id"] = orders["customer_id"].astype(str)
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    return orders.sort_values(["customer_id", "ordered_at", "order_id"], ignore_index=True)


def purchases(orders: pd.DataFrame) -> pd.DataFrame:
    """The orders that bought something: product units sold, even at price 0.

    CDNOW has free CDs, and Fader, Hardie and Lee count them as transactions.
    """
    return orders[(orders["units"] > 0) | (orders["sales"] > 0)]


def as_of_date(orders: pd.DataFrame, as_of: str | pd.Timestamp | None) -> pd.Timestamp:
    """The analysis date: ``as_of`` or the day after the last order in the data."""
    if as_of is None:
        return pd.Timestamp(orders["order_date"].max()).normalize() + pd.Timedelta(days=1)
    try:
        return pd.Timestamp(as_of).normalize()
    except ValueError:
        raise CustomerDataError(f"as_of: {as_of!r} is not a date; write it as YYYY-MM-DD") from None
