"""The results of the recommenders: recommendations, basket rules and the offline evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from shopops.result import Result

__all__ = ["BasketRulesResult", "EvaluationResult", "RecommendationsResult"]

_HOW_GOOD = "offline accuracy against the popularity baseline: evaluate_shop / `shopops recommend evaluate`"


@dataclass(kw_only=True)
class RecommendationsResult(Result):
    """Recommended products for one customer, every customer or a basket.

    ``frame``: ``product_id, score, model, reason, name`` (with ``customer_id, rank`` for every customer).
    The recommendations are not scored here; their offline accuracy is an :class:`EvaluationResult`.
    """

    capability: ClassVar[str] = "recommend"
    frame: pd.DataFrame

    def explain(self) -> str:
        """The model, the request and where its measured accuracy is."""
        return "\n".join([f"recommend: {self.model}",
                          "parameters: " + ", ".join(f"{k}={v}" for k, v in self.params.items()),
                          f"{len(self.frame):,} recommendations; {_HOW_GOOD}"])


@dataclass(kw_only=True)
class BasketRulesResult(Result):
    """Association rules ``antecedent -> consequent`` with support, confidence and lift (``frame``)."""

    capability: ClassVar[str] = "recommend"
    frame: pd.DataFrame
    orders: int

    def explain(self) -> str:
        """The thresholds, how many orders were mined and the strongest rules."""
        lines = [f"recommend: {self.model}", f"{len(self.frame):,} rules from {self.orders:,} orders; "
                 + ", ".join(f"{k}={v}" for k, v in self.params.items())]
        for row in self.frame.head(5).to_dict("records"):
            lines.append(f"  {row['antecedent']} -> {row['consequent']}: confidence {row['confidence']:.2f}, "
                         f"lift {row['lift']:.1f}")
        return "\n".join(lines)


@dataclass(kw_only=True)
class EvaluationResult(Result):
    """Time-split offline evaluation: one row per protocol and model in ``frame``.

    Attributes
    ----------
    frame : DataFrame
        ``protocol, model, users``, the ranking metrics at ``k``, ``coverage`` and ``fit_seconds``.
    cutoff, last_day : str
        First day of the test window and the last day of the data (YYYY-MM-DD); training is before ``cutoff``.
    train_lines, test_lines : int
        Purchase lines before and in the test window.
    test_customers_without_history : int
        Customers who bought in the test window but not before it (no model can rank for them).
    metrics : dict
        ``"<protocol> <model> <metric>"`` for every row and ranking metric of ``frame``.
    """

    capability: ClassVar[str] = "recommend"
    frame: pd.DataFrame
    cutoff: str
    last_day: str
    train_lines: int
    test_lines: int
    test_customers_without_history: int

    def explain(self) -> str:
        """The split and each model's recall, nDCG and coverage per protocol."""
        lines = [f"recommend: {self.model}",
                 f"train before {self.cutoff} ({self.train_lines:,} lines), test {self.cutoff} to {self.last_day} "
                 f"({self.test_lines:,} lines; {self.test_customers_without_history:,} test customers without "
                 "history)"]
        recall = next((c for c in self.frame.columns if c.startswith("recall@")), None)
        ndcg = next((c for c in self.frame.columns if c.startswith("ndcg@")), None)
        for row in self.frame.to_dict("records"):
            scores = ", ".join(f"{c} {row[c]:.4f}" for c in (recall, ndcg) if c is not None and c in row)
            lines.append(f"  {row['protocol']} {row['model']}: {scores}, coverage {row['coverage']:.3f}")
        return "\n".join(lines)
