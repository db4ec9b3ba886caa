"""What ``Shop`` calls: every customer analysis of one warehouse, cached until the warehouse changes."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from shopops.customers._errors import CustomerDataError
from shopops.customers._history import customer_orders, purchases
from shopops.customers.churn import ChurnModel
from shopops.customers.clusters import CustomerClusters
from shopops.customers.clv import ClvResult, customer_lifetime_value
from shopops.customers.rfm import rfm_table
from shopops.customers.segments import assign_segments, segment_summary

if TYPE_CHECKING:
    from shopops.shop import Shop

__all__ = ["cached", "churn_model", "clv_result", "clv_transactions", "orders_of", "segments_of",
           "summary_of"]

T = TypeVar("T")
_CACHE: dict[tuple[Hashable, ...], Any] = {}
_CACHE_SIZE = 32


def cached(shop: Shop, name: str, args: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()`` once per warehouse file version (path, mtime) and arguments.

    Callers copy cached DataFrames before changing them.
    """
    path = shop.warehouse_path
    stamp = path.stat().st_mtime_ns if path.is_file() else None
    key = (str(path.resolve()), stamp, name, *args)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = compute()
    return _CACHE[key]  # type: ignore[no-any-return]


def orders_of(shop: Shop) -> pd.DataFrame:
    """The customer order history of ``shop`` (cached)."""
    return cached(shop, "orders", (), lambda: customer_orders(shop))


def _segments(shop: Shop, as_of: str | None, seed: int) -> pd.DataFrame:
    table = assign_segments(rfm_table(orders_of(shop), as_of))
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


def segments_of(shop: Shop, as_of: str | None = None, seed: int = 0) -> pd.DataFrame:
    """RFM, named segment and cluster of every customer (a copy of the cached table)."""
    table = cached(shop, "segments", (as_of, seed), lambda: _segments(shop, as_of, seed))
    rest = [c for c in table.columns if c not in SEGMENT_COLUMNS]
    return table[SEGMENT_COLUMNS + rest].copy()


def summary_of(shop: Shop, as_of: str | None = None) -> pd.DataFrame:
    """One row per named segment."""
    return segment_summary(segments_of(shop, as_of))


def churn_model(shop: Shop, horizon_days: int, as_of: str | None, seed: int) -> ChurnModel:
    """The churn model of ``shop`` for ``horizon_days`` (cached)."""
    return cached(shop, "churn", (horizon_days, as_of, seed),
                  lambda: ChurnModel(horizon_days=horizon_days, seed=seed).fit(orders_of(shop), as_of))


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


def clv_result(shop: Shop, horizon_days: int, as_of: str | None) -> ClvResult:
    """BG/NBD + Gamma-Gamma lifetime values of ``shop`` (cached)."""
    def compute() -> ClvResult:
        tx = clv_transactions(orders_of(shop))
        if as_of is not None:
            tx = tx[tx["date"] <= pd.Timestamp(as_of)]
        return customer_lifetime_value(tx, horizon_days=horizon_days, as_of=as_of)

    result = cached(shop, "clv", (horizon_days, as_of), compute)
    result.customers["p_alive"] = np.clip(result.customers["p_alive"], 0.0, 1.0)
    return result
