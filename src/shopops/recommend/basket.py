"""'Frequently bought together': pairwise association rules with support, confidence and lift."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopops.errors import CustomerDataError

__all__ = ["BasketRules"]


@dataclass
class BasketRules:
    """Rules ``A -> B`` between single products, mined from order baskets.

    Parameters
    ----------
    min_support : float
        Least share of orders that contain both products.
    min_confidence : float
        Least P(B in basket | A in basket).

    Attributes
    ----------
    rules_ : DataFrame
        ``antecedent, consequent, orders, support, confidence, lift``, by lift.
    """

    min_support: float = 0.002
    min_confidence: float = 0.1

    def fit(self, lines: pd.DataFrame) -> BasketRules:
        """Mine rules from lines with ``order_id`` and ``product_id``."""
        pairs = lines[["order_id", "product_id"]].drop_duplicates()
        if pairs.empty:
            raise CustomerDataError("basket rules: no order lines to mine")
        orders = pd.Index(pairs["order_id"].unique())
        products = pd.Index(pairs["product_id"].unique())
        basket = sp.csr_matrix((np.ones(len(pairs), dtype=np.float32),
                                (orders.get_indexer(pairs["order_id"]), products.get_indexer(pairs["product_id"]))),
                               shape=(len(orders), len(products)))
        n_orders = len(orders)
        item_orders = np.asarray(basket.sum(axis=0)).ravel()
        frequent = np.flatnonzero(item_orders >= self.min_support * n_orders)
        sub = basket[:, frequent].tocsc()
        together = (sub.T @ sub).tocoo()
        mask = (together.row != together.col) & (together.data >= self.min_support * n_orders)
        a, b, count = frequent[together.row[mask]], frequent[together.col[mask]], together.data[mask]
        confidence = count / item_orders[a]
        support_b = item_orders[b] / n_orders
        rules = pd.DataFrame({
            "antecedent": products[a], "consequent": products[b], "orders": count.astype(int),
            "support": count / n_orders, "confidence": confidence, "lift": confidence / support_b,
        })
        rules = rules[rules["confidence"] >= self.min_confidence]
        self.rules_ = rules.sort_values(["lift", "confidence"], ascending=False, ignore_index=True)
        self.n_orders_ = n_orders
        return self

    def recommend(self, basket: list[str], k: int = 10, allowed: set[str] | None = None) -> pd.DataFrame:
        """Products to add to ``basket``: best rule per consequent, by confidence then lift."""
        if not hasattr(self, "rules_"):
            raise CustomerDataError("basket rules are not fitted; call fit() first")
        hits = self.rules_[self.rules_["antecedent"].isin(basket) & ~self.rules_["consequent"].isin(basket)]
        if allowed is not None:
            hits = hits[hits["consequent"].isin(allowed)]
        best = hits.sort_values(["confidence", "lift"], ascending=False).drop_duplicates("consequent").head(k)
        return pd.DataFrame({
            "product_id": best["consequent"].to_numpy(),
            "score": best["confidence"].to_numpy(),
            "model": "basket-rules",
            "reason": [f"{c:.0%} of orders with {a} also had it (lift {lift:.1f}, {n} orders)"
                       for a, c, lift, n in zip(best["antecedent"], best["confidence"], best["lift"],
                                                best["orders"], strict=True)],
        })
