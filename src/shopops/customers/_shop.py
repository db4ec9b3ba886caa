"""What ``Shop`` calls: every customer analysis of one warehouse, cached until the warehouse changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shopops.customers._history import customer_orders, purchases
from shopops.customers.churn import ChurnModel
from shopops.customers.clusters import CustomerClusters
from shopops.customers.clv import ClvResult, customer_lifetime_value
from shopops.customers.rfm import rfm_table
from shopops.customers.segments import assign_segments, segment_summary
from shopops.errors import CustomerDataError

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = [
    "clv_transactions",
    "customer_segments",
    "fit_churn",
    "lifetime_values",
    "order_history",
    "segment_overview",
]

def order_history(reader: Reader) -> pd.DataFrame:
    """The customer order history of the shop (cached)."""
    return reader.cached(("customers", "orders"), lambda: customer_orders(reader))


def _segments(reader: Reader, as_of: str | None, seed: int) -> pd.DataFrame:
    table = assign_segments(rfm_table(order_history(reader), as_of))
    try:
        clusters = CustomerClusters(seed=seed).fit(table)
    except CustomerDataError as exc:
        table["cluster"] = -1
        table["cluster_description"] = f"not clustered: {exc}"
        table.attrs["cluster_profiles"] = pd.DataFrame()
        table.attrs["silhouette"] = {}
        return table
    table["cluster"] = clusters.labels_
    names = clusters.profiles_.set_index("cluster")["description"]
    table["cluster_description"] = table["cluster"].map(names)
    table.attrs["cluster_profiles"] = clusters.profiles_
    table.attrs["silhouette"] = clusters.silhouette_
    return table


SEGMENT_COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
                   "segment", "cluster", "segment_reason", "cluster_description"]


def customer_segments(reader: Reader, as_of: str | None = None, seed: int = 0) -> pd.DataFrame:
    """RFM, named segment and cluster of every customer (a copy of the cached table)."""
    table = reader.cached(("customers", "segments", as_of, seed), lambda: _segments(reader, as_of, seed))
    rest = [c for c in table.columns if c not in SEGMENT_COLUMNS]
    return table[SEGMENT_COLUMNS + rest].copy()


def segment_overview(reader: Reader, as_of: str | None = None) -> pd.DataFrame:
    """One row per named segment."""
    return segment_summary(customer_segments(reader, as_of))


def fit_churn(reader: Reader, horizon_days: int, as_of: str | None, seed: int) -> ChurnModel:
    """The churn model of the shop for ``horizon_days`` (cached)."""
    return reader.cached(("customers", "churn", horizon_days, as_of, seed),
                  lambda: ChurnModel(horizon_days=horizon_days, seed=seed).fit(order_history(reader), as_of))


def clv_transactions(orders: pd.DataFrame) -> pd.DataFrame:
    """Purchases with ``value`` = sales scaled by the share the customer did not refund.

    Refunds are documents of their own and often dated weeks later; rather than subtracting them from
    one purchase, each customer's purchases are scaled by ``1 - refunds / sales`` (floored at 0, so a
    customer whose refunds exceed purchases is worth 0 per purchase).
    """
    bought = purchases(orders)
    sales = bought.groupby("customer_id")["sales"].sum()
    refunds = orders.groupby("customer_id")["refunds"].sum().reindex(sales.index).fillna(0.0)
    kept = (1.0 - refunds / sales.where(sales > 0)).clip(lower=0.0, upper=1.0).fillna(1.0)
    return pd.DataFrame({
        "customer_id": bought["customer_id"].to_numpy(),
        "date": bought["order_date"].to_numpy(),
        "value": (bought["sales"] * bought["customer_id"].map(kept)).to_numpy(dtype=float),
    })


def lifetime_values(reader: Reader, horizon_days: int, as_of: str | None) -> ClvResult:
    """BG/NBD + Gamma-Gamma lifetime values of the shop (cached)."""
    def compute() -> ClvResult:
        tx = clv_transactions(order_history(reader))
        if as_of is not None:
            tx = tx[tx["date"] <= pd.Timestamp(as_of)]
        return customer_lifetime_value(tx, horizon_days=horizon_days, as_of=as_of)

    result = reader.cached(("customers", "clv", horizon_days, as_of), compute)
    result.customers["p_alive"] = np.clip(result.customers["p_alive"], 0.0, 1.0)
    return result
