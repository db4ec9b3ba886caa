"""The results of the customer analyses: segments with their clusters, and churn risk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from shopops.result import Result

if TYPE_CHECKING:
    from shopops.customers.churn import ChurnModel

__all__ = ["ChurnResult", "SegmentsResult"]


@dataclass(kw_only=True)
class SegmentsResult(Result):
    """RFM scores, named segment and cluster of every customer with a purchase.

    Attributes
    ----------
    frame : DataFrame
        One row per customer: ``customer_id, recency_days, frequency, monetary, r_score, f_score, m_score,
        segment, cluster, segment_reason, cluster_description`` and more (see ``docs/customers.md``).
    summary : DataFrame
        One row per named segment: customers, share, revenue and mean recency/frequency/monetary.
    cluster_profiles : DataFrame
        One readable row per k-means cluster (empty when the customers could not be clustered).
    silhouette : dict
        Silhouette score of every candidate number of clusters (``metrics`` holds the chosen k's).
    """

    capability: ClassVar[str] = "customers"
    frame: pd.DataFrame
    summary: pd.DataFrame
    cluster_profiles: pd.DataFrame
    silhouette: dict[int, float] = field(default_factory=dict)

    def explain(self) -> str:
        """The segments by size, the chosen number of clusters and every candidate's silhouette."""
        lines = [f"customers: {self.model}", f"{len(self.frame):,} customers; " +
                 ", ".join(f"{k}={v}" for k, v in self.params.items())]
        if not self.summary.empty:
            lines.append("segments: " + ", ".join(
                f"{row['segment']} {int(row['customers']):,}" for row in self.summary.to_dict("records")))
        if self.silhouette:
            lines.append(f"clusters: k={self.metrics['k']} by silhouette ("
                         + ", ".join(f"k={k}: {v:.3f}" for k, v in self.silhouette.items()) + ")")
        else:
            lines.append("clusters: none (" + str(self.frame["cluster_description"].iloc[0]
                                                  if len(self.frame) else "no customers") + ")")
        return "\n".join(lines)


@dataclass(kw_only=True)
class ChurnResult(Result):
    """P(no purchase in the next ``horizon_days``) per customer, with the model's holdout accuracy.

    Attributes
    ----------
    frame : DataFrame
        ``customer_id, churn_probability, reasons`` and the features, highest risk first.
    importance : Series
        Mean |SHAP| of each feature on the holdout, largest first.
    windows : dict
        ``train_cutoff``, ``holdout_cutoff`` and ``as_of`` as YYYY-MM-DD.
    estimator : ChurnModel
        The fitted model (trained on the holdout window for these predictions).
    metrics : dict
        Holdout customers, churn rate, AUC, PR-AUC, top-decile lift and the AUC of recency alone.
    """

    capability: ClassVar[str] = "customers"
    frame: pd.DataFrame
    importance: pd.Series
    windows: dict[str, str]
    estimator: ChurnModel

    def explain(self) -> str:
        """The model, its holdout AUC against recency alone, PR-AUC, lift and the top features."""
        m = self.metrics
        top = ", ".join(f"{name} {value:.2f}" for name, value in self.importance.head(5).items())
        return "\n".join([
            f"customers: {self.model}",
            f"holdout ({self.windows['holdout_cutoff']}, {int(m['customers']):,} customers, churn rate "
            f"{m['churn_rate']:.1%}): AUC {m['auc']:.3f} (recency alone {m['auc_recency_only']:.3f}), "
            f"PR-AUC {m['pr_auc']:.3f}, top-decile lift {m['top_decile_lift']:.2f}",
            f"features (mean |SHAP|): {top}",
        ])
