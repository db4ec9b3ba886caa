"""What ``Shop`` calls for recommendations (fitted models cached until the warehouse changes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from shopops.customers._api import cached
from shopops.recommend._data import eligible_products, purchase_lines
from shopops.recommend.basket import BasketRules
from shopops.recommend.evaluate import PROTOCOLS, evaluate_recommenders
from shopops.recommend.recommender import Recommender, _make

if TYPE_CHECKING:
    from shopops.shop import Shop

__all__ = ["basket_rules_of", "evaluate_of", "recommender_of"]


def _lines(shop: Shop) -> pd.DataFrame:
    return cached(shop, "purchase_lines", (), lambda: purchase_lines(shop))


def _known_customers(shop: Shop) -> list[str]:
    ids = shop.sql("SELECT DISTINCT customer_id FROM dim_customer WHERE customer_id IS NOT NULL")
    return [str(v) for v in ids["customer_id"]]


def recommender_of(shop: Shop, model: str = "als", exclude_bought: bool = False, seed: int = 0) -> Recommender:
    """A fitted :class:`Recommender` on all purchases of ``shop``."""
    return cached(shop, "recommender", (model, exclude_bought, seed),
                  lambda: Recommender(model=model, exclude_bought=exclude_bought, seed=seed)
                  .fit(_lines(shop), eligible_products(shop), _known_customers(shop)))


def basket_rules_of(shop: Shop, min_support: float = 0.002, min_confidence: float = 0.1) -> BasketRules:
    """Association rules mined from the orders of ``shop`` (eligible products only)."""
    def compute() -> BasketRules:
        lines = _lines(shop)
        allowed = set(eligible_products(shop)["product_id"])
        return BasketRules(min_support=min_support, min_confidence=min_confidence) \
            .fit(lines[lines["product_id"].isin(allowed)])

    return cached(shop, "basket", (min_support, min_confidence), compute)


def evaluate_of(shop: Shop, test_days: int = 30, k: int = 10,
                models: Sequence[str] = ("popularity", "item-item", "als"),
                protocols: Sequence[str] = PROTOCOLS, seed: int = 0) -> pd.DataFrame:
    """Time-split evaluation of ``models`` on ``shop`` (see :func:`evaluate_recommenders`)."""
    allowed = pd.Index(eligible_products(shop)["product_id"])
    return evaluate_recommenders(_lines(shop), [_make(m, seed) for m in models], test_days=test_days, k=k,
                                 allowed_products=allowed, protocols=protocols)
