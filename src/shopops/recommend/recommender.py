"""The recommender a shop uses: a personalised model, a popularity fallback, catalogue and stock filters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopops.errors import CustomerDataError, UnknownCustomerError
from shopops.recommend._data import InteractionMatrix
from shopops.recommend._ranking import top_k
from shopops.recommend.als import ALSRecommender, BPRRecommender
from shopops.recommend.item_item import ItemItemRecommender
from shopops.recommend.popularity import PopularityRecommender

__all__ = ["MODELS", "Recommender"]

MODELS = ("als", "bpr", "item-item", "popularity")
RECOMMENDATION_COLUMNS = ["product_id", "score", "model", "reason"]


def _make(name: str, seed: int) -> ALSRecommender | BPRRecommender | ItemItemRecommender | PopularityRecommender:
    if name == "als":
        return ALSRecommender(seed=seed)
    if name == "bpr":
        return BPRRecommender(seed=seed)
    if name == "item-item":
        return ItemItemRecommender()
    if name == "popularity":
        return PopularityRecommender()
    raise CustomerDataError(f"unknown recommender model {name!r}; choose from {', '.join(MODELS)}")


@dataclass
class Recommender:
    """Top-k products per customer.

    Parameters
    ----------
    model : str
        ``als`` (default, best in the Online Retail evaluation), ``bpr``, ``item-item`` or ``popularity``.
    exclude_bought : bool
        Leave out products the customer already bought (off by default: re-buying is common).
    seed : int
        Seed of the factor models.

    Attributes
    ----------
    data_ : InteractionMatrix
        Customers x eligible products.
    """

    model: str = "als"
    exclude_bought: bool = False
    seed: int = 0

    def fit(self, lines: pd.DataFrame, products: pd.DataFrame,
            known_customers: Iterable[str] | None = None) -> Recommender:
        """Fit on purchase lines; ``products`` are the eligible ones (``product_id, name``).

        ``known_customers``: every customer id of the shop; those without purchases get the popularity list.
        """
        eligible = pd.Index(sorted(set(products["product_id"]) & set(lines["product_id"])), name="product_id")
        if eligible.empty:
            raise CustomerDataError("no purchased product is recommendable (all are non-products or out of stock)")
        self.data_ = InteractionMatrix.from_lines(lines, eligible)
        self.names_ = products.set_index("product_id")["name"].reindex(eligible).fillna("").astype(str)
        self.model_ = _make(self.model, self.seed).fit(self.data_.matrix)
        self.popularity_ = PopularityRecommender().fit(self.data_.matrix)
        self.similar_ = self.model_ if isinstance(self.model_, ItemItemRecommender) else \
            ItemItemRecommender().fit(self.data_.matrix)
        self.known_ = set(map(str, known_customers)) if known_customers is not None else set()
        return self

    def _check(self, k: int) -> None:
        if not hasattr(self, "model_"):
            raise CustomerDataError("recommender is not fitted; call fit() first")
        if k < 1:
            raise CustomerDataError(f"k must be at least 1, not {k}")

    def recommend(self, customer_id: str, k: int = 10) -> pd.DataFrame:
        """The ``k`` best products for one customer: ``product_id, name, score, model, reason``.

        Raises
        ------
        UnknownCustomerError
            The id is neither a buyer nor a known customer of the shop.
        """
        self._check(k)
        customer_id = str(customer_id)
        row = self.data_.customers.get_indexer([customer_id])[0]
        if row < 0:
            if customer_id not in self.known_:
                raise UnknownCustomerError(
                    f"customer {customer_id!r} is not in the warehouse; ids are as stored there (the customer_id "
                    "of dim_customer, or of the customers' segments)"
                )
            return self._popular(k, "new customer without purchases: ")
        return self._recommend_rows(np.array([row]), k)[0]

    def recommend_all(self, k: int = 10) -> pd.DataFrame:
        """Recommendations for every customer with a purchase: ``customer_id, rank`` plus the usual columns."""
        self._check(k)
        frames = []
        rows = np.arange(len(self.data_.customers))
        for start in range(0, len(rows), 2000):
            chunk = rows[start:start + 2000]
            for row, frame in zip(chunk, self._recommend_rows(chunk, k), strict=True):
                frames.append(frame.assign(customer_id=self.data_.customers[row], rank=np.arange(1, len(frame) + 1)))
        out = pd.concat(frames, ignore_index=True)
        return out[["customer_id", "rank", *RECOMMENDATION_COLUMNS, "name"]]

    def _popular(self, k: int, prefix: str) -> pd.DataFrame:
        scores = self.popularity_.item_scores_
        best = np.argsort(-scores, kind="stable")[:k]
        return pd.DataFrame({
            "product_id": self.data_.products[best].to_numpy(), "score": scores[best].astype(float),
            "model": "popularity",
            "reason": [f"{prefix}bought by {int(scores[i]):,} customers" for i in best],
            "name": self.names_.iloc[best].to_numpy(),
        })

    def _recommend_rows(self, rows: np.ndarray, k: int) -> list[pd.DataFrame]:
        matrix = self.data_.matrix
        scores = self.model_.score(matrix, rows)
        best = top_k(scores, k, matrix[rows] if self.exclude_bought else None)
        similarity = self.similar_.similarity_  # row = candidate, column = product the customer bought
        names = self.names_.to_numpy()  # by position: a pandas .iloc per reason was half of an answer's cost
        out = []
        for i, row in enumerate(rows):
            history = matrix[row]
            bought_cols, bought_counts = history.indices, history.data
            own_counts = dict(zip(bought_cols.tolist(), bought_counts.tolist(), strict=True))
            reasons = []
            # One sparse slice per customer: similarities of the k candidates to everything they bought.
            sim_block = similarity[best[i]][:, bought_cols].toarray() if len(bought_cols) else \
                np.zeros((len(best[i]), 0))
            for n_item, col in enumerate(best[i]):
                sims = sim_block[n_item]
                parts = []
                own = own_counts.get(int(col), 0.0)
                if own > 0:
                    parts.append(f"you bought it in {int(own)} order(s)")
                if sims.size and sims.max() > 0:
                    j = bought_cols[int(np.argmax(sims))]
                    parts.append(f"often bought by buyers of {self.data_.products[j]} {names[j]!s}"
                                 f" (similarity {sims.max():.2f}), which you bought")
                if not parts:
                    parts.append(f"customers with purchases like yours buy it ({int(bought_counts.sum())} "
                                 "purchases in your history)")
                reasons.append("; ".join(parts))
            out.append(pd.DataFrame({
                "product_id": self.data_.products[best[i]].to_numpy(), "score": scores[i, best[i]].astype(float),
                "model": self.model_.name, "reason": reasons, "name": names[best[i]],
            }))
        return out
