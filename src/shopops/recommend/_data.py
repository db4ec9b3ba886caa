"""Purchase interactions and the recommendable catalogue, read from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopops.errors import CustomerDataError

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = ["InteractionMatrix", "eligible_products", "purchase_lines"]

_LINES_SQL = """
SELECT customer_id, product_id, order_id, CAST(min(ordered_at) AS DATE) AS order_date, sum(quantity) AS quantity
FROM fact_order_line
WHERE line_type = 'sale' AND is_product AND customer_id IS NOT NULL AND quantity > 0
GROUP BY customer_id, product_id, order_id
"""

# Real products only; when the shop has stock data, a product with stock rows must have stock on its
# latest day. Products the stock table never mentions are kept (no evidence that they are out of stock).
_ELIGIBLE_SQL = """
WITH latest AS (
    SELECT product_id, sum(on_hand) AS on_hand
    FROM fact_inventory
    WHERE (product_id, date) IN (SELECT (product_id, max(date)) FROM fact_inventory GROUP BY product_id)
    GROUP BY product_id
)
SELECT p.product_id, p.name, l.on_hand
FROM dim_product AS p LEFT JOIN latest AS l ON l.product_id = p.product_id
WHERE p.is_product AND (l.on_hand IS NULL OR l.on_hand > 0)
"""


def purchase_lines(reader: Reader) -> pd.DataFrame:
    """One row per (customer, product, order) of product sales to known customers."""
    lines = reader.sql(_LINES_SQL)
    if lines.empty:
        raise CustomerDataError(
            f"no product sales with a customer id in {reader.data_dir}; recommendations need known customers"
        )
    lines["customer_id"] = lines["customer_id"].astype(str)
    lines["product_id"] = lines["product_id"].astype(str)
    lines["order_date"] = pd.to_datetime(lines["order_date"])
    return lines


def eligible_products(reader: Reader) -> pd.DataFrame:
    """Products that may be recommended: ``product_id, name, on_hand`` (on_hand NaN without stock data)."""
    products = reader.sql(_ELIGIBLE_SQL)
    products["product_id"] = products["product_id"].astype(str)
    return products


@dataclass
class InteractionMatrix:
    """Customers x products matrix of purchase counts (distinct orders), with the id maps.

    Attributes
    ----------
    matrix : csr_matrix
        float32, rows = customers, columns = products.
    customers, products : Index
        Row and column ids.
    """

    matrix: sp.csr_matrix
    customers: pd.Index
    products: pd.Index

    @classmethod
    def from_lines(cls, lines: pd.DataFrame, products: pd.Index | None = None) -> InteractionMatrix:
        """Build from purchase lines; ``products`` fixes the column set (others are dropped)."""
        counts = lines.groupby(["customer_id", "product_id"], observed=True)["order_id"].nunique()
        customers = pd.Index(sorted(counts.index.get_level_values(0).unique()), name="customer_id")
        items = products if products is not None else \
            pd.Index(sorted(counts.index.get_level_values(1).unique()), name="product_id")
        rows = customers.get_indexer(counts.index.get_level_values(0))
        cols = items.get_indexer(counts.index.get_level_values(1))
        keep = cols >= 0
        matrix = sp.csr_matrix((counts.to_numpy(dtype=np.float32)[keep], (rows[keep], cols[keep])),
                               shape=(len(customers), len(items)), dtype=np.float32)
        return cls(matrix, customers, items)
