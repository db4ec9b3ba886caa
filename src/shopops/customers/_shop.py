"""What ``Shop`` calls: every customer analysis of one warehouse, cached until the warehouse changes."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shopops.customers._history import customer_orders, purchases
from shopops.customers._results import ChurnResult, SegmentsResult
from shopops.customers.churn import ChurnModel
from shopops.customers.clusters import CustomerClusters
from shopops.customers.clv import ClvResult, customer_lifetime_value
from shopops.customers.rfm import rfm_table
from shopops.customers.segments import assign_segments, segment_summary
from shopops.errors import CustomerDataError

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = [
    "churn_risk",
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


SEGMENT_COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
                   "segment", "cluster", "segment_reason", "cluster_description"]
_SEGMENTS_MODEL = "RFM quintile scores, segments named by rules, k-means clusters (k by silhouette)"


def _segments(reader: Reader, as_of: str | None, seed: int) -> SegmentsResult:
    table = assign_segments(rfm_table(order_history(reader), as_of))
    params = {"as_of": as_of, "seed": seed}
    try:
        clusters = CustomerClusters(seed=seed).fit(table)
    except CustomerDataError as exc:
        table["cluster"] = -1
        table["cluster_description"] = f"not clustered: {exc}"
        return SegmentsResult(model=_SEGMENTS_MODEL, params=params, frame=_ordered(table),
                              summary=segment_summary(table), cluster_profiles=pd.DataFrame())
    table["cluster"] = clusters.labels_
    names = clusters.profiles_.set_index("cluster")["description"]
    table["cluster_description"] = table["cluster"].map(names)
    return SegmentsResult(model=_SEGMENTS_MODEL, params=params,
                          metrics={"k": clusters.k_, "silhouette": clusters.silhouette_[clusters.k_]},
                          frame=_ordered(table), summary=segment_summary(table),
                          cluster_profiles=clusters.profiles_, silhouette=dict(clusters.silhouette_))


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    rest = [c for c in table.columns if c not in SEGMENT_COLUMNS]
    return table[SEGMENT_COLUMNS + rest]


def customer_segments(reader: Reader, as_of: str | None = None, seed: int = 0) -> SegmentsResult:
    """RFM, named segment and cluster of every customer, and the segment summary (copies of the cached ones)."""
    result = reader.cached(("customers", "segments", as_of, seed), lambda: _segments(reader, as_of, seed))
    return dataclasses.replace(result, frame=result.frame.copy(), summary=result.summary.copy(),
                               cluster_profiles=result.cluster_profiles.copy(), silhouette=dict(result.silhouette),
                               params=dict(result.params), metrics=dict(result.metrics))


def segment_overview(reader: Reader, as_of: str | None = None) -> pd.DataFrame:
    """One row per named segment (the ``summary`` of :func:`customer_segments`)."""
    return customer_segments(reader, as_of).summary


def fit_churn(reader: Reader, horizon_days: int, as_of: str | None, seed: int) -> ChurnModel:
    """The churn model of the shop for ``horizon_days`` (cached)."""
    return reader.cached(("customers", "churn", horizon_days, as_of, seed),
                         lambda: ChurnModel(horizon_days=horizon_days, seed=seed).fit(order_history(reader), as_of))


def churn_risk(reader: Reader, horizon_days: int = 90, as_of: str | None = None, seed: int = 0) -> ChurnResult:
    """P(no purchase in the next ``horizon_days``) per customer, with the holdout metrics of the model."""
    model = fit_churn(reader, horizon_days, as_of, seed)
    return ChurnResult(model="LightGBM churn classifier, time split (train, holdout, then refit on the holdout)",
                       params={"horizon_days": horizon_days, "as_of": as_of, "seed": seed},
                       metrics=dict(model.metrics_), frame=model.predict(), importance=model.importance_.copy(),
                       windows={k: str(v.date()) for k, v in model.windows_.items()}, estimator=model)


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


def lifetime_values(reader: Reader, horizon_days: int = 365, as_of: str | None = None) -> ClvResult:
    """BG/NBD + Gamma-Gamma lifetime values of the shop, most valuable customer first (cached)."""
    def compute() -> ClvResult:
        tx = clv_transactions(order_history(reader))
        if as_of is not None:
            tx = tx[tx["date"] <= pd.Timestamp(as_of)]
        return customer_lifetime_value(tx, horizon_days=horizon_days, as_of=as_of)

    result = reader.cached(("customers", "clv", horizon_days, as_of), compute)
    customers = result.customers.assign(p_alive=np.clip(result.customers["p_alive"], 0.0, 1.0))
    return dataclasses.replace(result, customers=customers.sort_values("clv", ascending=False, ignore_index=True),
                               metrics=dict(result.metrics))
