"""Data-driven customer clusters: k-means on scaled log RFM and behaviour, k chosen by silhouette."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from shopops.errors import CustomerDataError

__all__ = ["CLUSTER_FEATURES", "CustomerClusters"]

# Log scale: RFM quantities are heavy-tailed (a few wholesalers buy 100x the median), and k-means on raw
# values would spend its clusters on them.
CLUSTER_FEATURES = ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")


@dataclass
class CustomerClusters:
    """K-means clusters of customers, with ``k`` chosen by the silhouette score.

    Parameters
    ----------
    k_values : tuple of int
        Candidate numbers of clusters. k = 2 is left out by default: it only splits active from lapsed
        customers, which the named segments already do.
    seed : int
        Seed of k-means and of the silhouette sample.
    silhouette_sample : int
        Customers sampled to compute the silhouette (it is quadratic in the sample).

    Attributes
    ----------
    k_ : int
        The chosen number of clusters.
    silhouette_ : dict
        Silhouette score of every candidate k.
    profiles_ : DataFrame
        One readable row per cluster (medians, share, revenue share, a descriptive name).
    """

    k_values: tuple[int, ...] = (3, 4, 5, 6, 7, 8)
    seed: int = 0
    silhouette_sample: int = 2000

    def _matrix(self, rfm: pd.DataFrame) -> np.ndarray:
        missing = [c for c in CLUSTER_FEATURES if c not in rfm.columns]
        if missing:
            raise CustomerDataError(f"clusters: RFM table lacks {', '.join(missing)}")
        return np.asarray(np.log1p(rfm[list(CLUSTER_FEATURES)].to_numpy(dtype=float).clip(min=0)))

    def fit(self, rfm: pd.DataFrame) -> CustomerClusters:
        """Fit on an RFM table (see :func:`shopops.customers.rfm.rfm_table`)."""
        raw = self._matrix(rfm)
        distinct = len(np.unique(raw, axis=0))
        candidates = [k for k in self.k_values if 2 <= k < distinct]
        if not candidates:
            raise CustomerDataError(
                f"clusters: only {distinct} distinct customer profile(s); need more than {min(self.k_values)} "
                "to form clusters"
            )
        self.scaler_ = StandardScaler().fit(raw)
        matrix = self.scaler_.transform(raw)
        rng = np.random.default_rng(self.seed)
        sample = rng.choice(len(matrix), size=min(self.silhouette_sample, len(matrix)), replace=False)
        self.silhouette_: dict[int, float] = {}
        fitted: dict[int, KMeans] = {}
        # One thread: on a few thousand rows OpenMP/BLAS thread start-up costs 20x the arithmetic (measured).
        with threadpool_limits(1):
            for k in candidates:
                model = KMeans(n_clusters=k, n_init=4, random_state=self.seed).fit(matrix)
                fitted[k] = model
                self.silhouette_[k] = float(silhouette_score(matrix[sample], model.labels_[sample]))
        self.k_ = max(self.silhouette_, key=lambda k: self.silhouette_[k])
        self.kmeans_ = fitted[self.k_]
        labels = self._relabel(rfm, self.kmeans_.labels_)
        self.profiles_ = self._profiles(rfm, labels)
        self.labels_ = labels
        return self

    def _relabel(self, rfm: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
        """Number clusters by revenue (0 = the cluster with most revenue), so ids are stable and meaningful."""
        revenue = pd.Series(rfm["monetary"].to_numpy(), index=labels).groupby(level=0).sum()
        order = {old: new for new, old in enumerate(revenue.sort_values(ascending=False).index)}
        self.relabel_ = order
        return np.array([order[v] for v in labels])

    def predict(self, rfm: pd.DataFrame) -> np.ndarray:
        """Cluster of each customer in ``rfm``."""
        if not hasattr(self, "kmeans_"):
            raise CustomerDataError("clusters are not fitted; call fit() first")
        raw = self.kmeans_.predict(self.scaler_.transform(self._matrix(rfm)))
        return np.array([self.relabel_[v] for v in raw])

    @staticmethod
    def _profiles(rfm: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
        frame = rfm.assign(cluster=labels)
        grouped = frame.groupby("cluster")
        prof = pd.DataFrame({
            "customers": grouped.size(),
            "median_recency_days": grouped["recency_days"].median(),
            "median_frequency": grouped["frequency"].median(),
            "median_monetary": grouped["monetary"].median(),
            "median_order_value": grouped["avg_order_value"].median(),
            "median_tenure_days": grouped["tenure_days"].median(),
            "revenue": grouped["monetary"].sum(),
        })
        prof["share"] = prof["customers"] / prof["customers"].sum()
        total = prof["revenue"].sum()
        prof["revenue_share"] = prof["revenue"] / total if total > 0 else 0.0
        overall = frame[["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]].median()
        prof["description"] = [_describe(row, overall) for _, row in prof.iterrows()]
        return prof.reset_index()


def _describe(row: pd.Series, overall: pd.Series) -> str:
    """Words a marketer reads: each median against the median customer (x1.5 or /1.5 counts as different)."""

    def level(value: float, typical: float, high: str, low: str, mid: str) -> str:
        if value > 1.5 * typical:
            return high
        if value < typical / 1.5:
            return low
        return mid

    words = [
        level(row["median_recency_days"], overall["recency_days"], "lapsed", "recently active", "active a while ago"),
        level(row["median_frequency"], overall["frequency"], "frequent buyers", "one-off buyers", "occasional buyers"),
        level(row["median_monetary"], overall["monetary"], "high spend", "low spend", "average spend"),
        level(row["median_order_value"], overall["avg_order_value"], "large baskets", "small baskets",
              "typical baskets"),
        level(row["median_tenure_days"], overall["tenure_days"], "long-standing", "newly acquired", "mid tenure"),
    ]
    return ", ".join(words)
