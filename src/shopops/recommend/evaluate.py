"""Time-split offline evaluation of recommenders: precision, recall, nDCG, MAP, hit rate, coverage."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopops.errors import CustomerDataError
from shopops.recommend._data import InteractionMatrix
from shopops.recommend._ranking import top_k
from shopops.recommend._results import EvaluationResult

__all__ = ["PROTOCOLS", "RecommenderModel", "evaluate_recommenders", "ranking_metrics"]

PROTOCOLS = ("all-items", "new-items")


class RecommenderModel(Protocol):
    """What the evaluation needs of a model."""

    name: str

    def fit(self, matrix: sp.csr_matrix) -> object:
        """Learn from a customers x products matrix."""

    def score(self, matrix: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        """Dense scores of every product for the customers in ``rows``."""


def ranking_metrics(recommended: np.ndarray, truth: list[set[int]], k: int) -> dict[str, float]:
    """Mean precision@k, recall@k, nDCG@k, MAP@k and hit rate over users (one row of ``recommended`` each)."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    precision, recall, ndcg, ap, hit = [], [], [], [], []
    for recs, items in zip(recommended, truth, strict=True):
        rel = np.fromiter((r in items for r in recs[:k]), dtype=float, count=min(k, len(recs)))
        hits = rel.sum()
        precision.append(hits / k)
        recall.append(hits / len(items))
        ideal = discounts[: min(len(items), k)].sum()
        ndcg.append(float(np.dot(rel, discounts[: len(rel)]) / ideal))
        cum_prec = np.cumsum(rel) / np.arange(1, len(rel) + 1)
        ap.append(float(np.dot(cum_prec, rel) / min(len(items), k)))
        hit.append(float(hits > 0))
    return {f"precision@{k}": float(np.mean(precision)), f"recall@{k}": float(np.mean(recall)),
            f"ndcg@{k}": float(np.mean(ndcg)), f"map@{k}": float(np.mean(ap)), "hit_rate": float(np.mean(hit))}


def evaluate_recommenders(lines: pd.DataFrame, models: Sequence[RecommenderModel], *, test_days: int = 30,
                          k: int = 10, allowed_products: pd.Index | None = None,
                          protocols: Sequence[str] = PROTOCOLS, batch: int = 2000) -> EvaluationResult:
    """Train on purchases before the last ``test_days`` days and test on what customers bought in them.

    Protocols
    ---------
    ``all-items``: the truth is every product a customer bought in the test window and recommendations
    may include products the customer bought before (re-buying is most of Online Retail's sales).
    ``new-items``: products already bought are excluded from recommendations and from the truth, so only
    discovery counts.

    Returns
    -------
    EvaluationResult
        ``frame``: one row per protocol and model: ``users`` (customers with history and test purchases), the
        ranking metrics, ``coverage`` (share of the catalogue recommended to anyone) and ``fit_seconds``; the
        split (``cutoff``, line counts) as fields.
    """
    if test_days < 1:
        raise CustomerDataError(f"test_days must be at least 1, not {test_days}")
    unknown = set(protocols) - set(PROTOCOLS)
    if unknown:
        raise CustomerDataError(f"unknown protocol(s) {sorted(unknown)}; choose from {', '.join(PROTOCOLS)}")
    last = lines["order_date"].max()
    cutoff = last - pd.Timedelta(days=test_days - 1)
    train, test = lines[lines["order_date"] < cutoff], lines[lines["order_date"] >= cutoff]
    if train.empty or test.empty:
        raise CustomerDataError(
            f"evaluation: the last {test_days} days leave {len(train)} training and {len(test)} test lines; "
            "both must be non-empty (the history is too short for this split)"
        )
    products = pd.Index(sorted(train["product_id"].unique()), name="product_id")
    if allowed_products is not None:
        products = products[products.isin(allowed_products)]
    data = InteractionMatrix.from_lines(train, products)
    test_rows = data.customers.get_indexer(test["customer_id"])
    test_cols = products.get_indexer(test["product_id"])
    known = (test_rows >= 0) & (test_cols >= 0)
    truth_all: dict[int, set[int]] = {}
    for row, col in zip(test_rows[known], test_cols[known], strict=True):
        truth_all.setdefault(int(row), set()).add(int(col))
    bought = data.matrix
    results = []
    fitted: dict[str, float] = {}
    for model in models:
        started = time.perf_counter()
        model.fit(data.matrix)
        fitted[model.name] = time.perf_counter() - started
    for protocol in protocols:
        exclude = protocol == "new-items"
        truth = truth_all
        if exclude:
            truth = {u: {i for i in items if bought[u, i] == 0} for u, items in truth_all.items()}
            truth = {u: items for u, items in truth.items() if items}
        users = np.array(sorted(truth), dtype=np.int64)
        for model in models:
            recs = np.vstack([
                top_k(model.score(data.matrix, users[i:i + batch]), k,
                      bought[users[i:i + batch]] if exclude else None)
                for i in range(0, len(users), batch)
            ]) if len(users) else np.empty((0, k), dtype=np.int64)
            row = {"protocol": protocol, "model": model.name, "users": len(users)}
            row.update(ranking_metrics(recs, [truth[u] for u in users], k) if len(users) else {})
            row["coverage"] = len(np.unique(recs)) / len(products) if len(products) else 0.0
            row["fit_seconds"] = fitted[model.name]
            results.append(row)
    out = pd.DataFrame(results)
    measured = [c for c in out.columns if c not in ("protocol", "model", "users", "fit_seconds")]
    return EvaluationResult(
        model="time-split offline evaluation of " + ", ".join(m.name for m in models),
        params={"test_days": test_days, "k": k, "protocols": list(protocols)},
        metrics={f"{row['protocol']} {row['model']} {c}": row[c] for row in results for c in measured if c in row},
        frame=out, cutoff=str(cutoff.date()), last_day=str(last.date()), train_lines=len(train),
        test_lines=len(test), test_customers_without_history=int(test.loc[test_rows < 0, "customer_id"].nunique()))
