"""Customers: RFM scores, named segments, clusters, churn risk and lifetime value (BG/NBD + Gamma-Gamma)."""

from shopops.customers._history import customer_orders
from shopops.customers._results import ChurnResult, SegmentsResult
from shopops.customers._shop import (
    churn_risk,
    clv_transactions,
    customer_segments,
    fit_churn,
    lifetime_values,
    order_history,
    segment_overview,
)
from shopops.customers.churn import CHURN_FEATURES, ChurnModel, churn_features, churn_labels, top_decile_lift
from shopops.customers.clusters import CLUSTER_FEATURES, CustomerClusters
from shopops.customers.clv import (
    BetaGeoModel,
    ClvResult,
    GammaGammaModel,
    clv_summary,
    customer_lifetime_value,
    repeat_tracking,
)
from shopops.customers.rfm import rfm_table, score_quintiles
from shopops.customers.segments import SEGMENT_RULES, SegmentRule, assign_segments, segment_summary
from shopops.errors import CustomerDataError, UnknownCustomerError

__all__ = [
    "CHURN_FEATURES",
    "CLUSTER_FEATURES",
    "SEGMENT_RULES",
    "BetaGeoModel",
    "ChurnModel",
    "ChurnResult",
    "ClvResult",
    "CustomerClusters",
    "CustomerDataError",
    "GammaGammaModel",
    "SegmentRule",
    "SegmentsResult",
    "UnknownCustomerError",
    "assign_segments",
    "churn_features",
    "churn_labels",
    "churn_risk",
    "clv_summary",
    "clv_transactions",
    "customer_lifetime_value",
    "customer_orders",
    "customer_segments",
    "fit_churn",
    "lifetime_values",
    "order_history",
    "repeat_tracking",
    "rfm_table",
    "score_quintiles",
    "segment_overview",
    "segment_summary",
    "top_decile_lift",
]
