"""What ``Shop`` calls for recommendations (fitted models cached until the warehouse changes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from shopops.errors import ShopopsError
from shopops.recommend._data import eligible_products, purchase_lines
from shopops.recommend._results import BasketRulesResult, EvaluationResult, RecommendationsResult
from shopops.recommend.basket import BasketRules
from shopops.recommend.evaluate import PROTOCOLS, evaluate_recommenders
from shopops.recommend.recommender import Recommender, _make

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = ["basket_rules", "evaluate_shop", "fit_basket_rules", "fit_recommender", "recommend_for_all",
           "recommend_for_basket", "recommend_for_customer"]


def _lines(reader: Reader) -> pd.DataFrame:
    return reader.cached(("recommend", "purchase_lines"), lambda: purchase_lines(reader))


def _known_customers(reader: Reader) -> list[str]:
    ids = reader.sql("SELECT DISTINCT customer_id FROM dim_customer WHERE customer_id IS NOT NULL")
    return [str(v) for v in ids["customer_id"]]


def _recommender_key(model: str, exclude_bought: bool, seed: int) -> tuple[str, str, str, bool, int]:
    return ("recommend", "recommender", model, exclude_bought, seed)


def recommender_fitted(reader: Reader, model: str = "als", exclude_bought: bool = False, seed: int = 0) -> bool:
    """Whether :func:`fit_recommender` has fitted this recommender on the reader's current build already."""
    return reader.peek(_recommender_key(model, exclude_bought, seed)) is not None


def fit_recommender(reader: Reader, model: str = "als", exclude_bought: bool = False, seed: int = 0) -> Recommender:
    """A fitted :class:`Recommender` on all purchases of the shop."""
    return reader.cached(_recommender_key(model, exclude_bought, seed),
                         lambda: Recommender(model=model, exclude_bought=exclude_bought, seed=seed)
                         .fit(_lines(reader), eligible_products(reader), _known_customers(reader)))


def fit_basket_rules(reader: Reader, min_support: float = 0.002, min_confidence: float = 0.1) -> BasketRules:
    """Association rules mined from the orders of the shop (eligible products only)."""
    def compute() -> BasketRules:
        lines = _lines(reader)
        allowed = set(eligible_products(reader)["product_id"])
        return BasketRules(min_support=min_support, min_confidence=min_confidence) \
            .fit(lines[lines["product_id"].isin(allowed)])

    return reader.cached(("recommend", "basket", min_support, min_confidence), compute)


def evaluate_shop(reader: Reader, test_days: int = 30, k: int = 10,
                  models: Sequence[str] = ("popularity", "item-item", "als"),
                  protocols: Sequence[str] = PROTOCOLS, seed: int = 0) -> EvaluationResult:
    """Time-split evaluation of ``models`` on the shop (see :func:`evaluate_recommenders`)."""
    allowed = pd.Index(eligible_products(reader)["product_id"])
    return evaluate_recommenders(_lines(reader), [_make(m, seed) for m in models], test_days=test_days, k=k,
                                 allowed_products=allowed, protocols=protocols)


def _model_text(recommender: Recommender) -> str:
    return (f"{recommender.model} on all purchases of known customers (eligible products only), "
            "popularity for customers without purchases")


def recommend_for_customer(reader: Reader, customer_id: str, k: int = 10, model: str = "als",
                           exclude_bought: bool = False, seed: int = 0) -> RecommendationsResult:
    """The ``k`` best products for one customer (see :meth:`Recommender.recommend`)."""
    recommender = fit_recommender(reader, model, exclude_bought, seed)
    return RecommendationsResult(model=_model_text(recommender),
                                 params={"customer_id": customer_id, "k": k, "model": model,
                                         "exclude_bought": exclude_bought, "seed": seed},
                                 frame=recommender.recommend(customer_id, k))


def recommend_for_all(reader: Reader, k: int = 10, model: str = "als", exclude_bought: bool = False,
                      seed: int = 0) -> RecommendationsResult:
    """Recommendations for every customer with a purchase (``customer_id, rank`` + the usual columns)."""
    recommender = fit_recommender(reader, model, exclude_bought, seed)
    return RecommendationsResult(model=_model_text(recommender),
                                 params={"k": k, "model": model, "exclude_bought": exclude_bought, "seed": seed},
                                 frame=recommender.recommend_all(k))


def recommend_for_basket(reader: Reader, product_ids: Sequence[str], k: int = 10) -> RecommendationsResult:
    """'Frequently bought together' products for a basket, from the association rules of the shop."""
    if not product_ids:
        raise ShopopsError("recommend_basket: the basket is empty; pass at least one product id")
    rules = fit_basket_rules(reader)
    allowed = set(eligible_products(reader)["product_id"])
    basket = [str(p) for p in product_ids]
    return RecommendationsResult(
        model=f"association rules (support >= {rules.min_support:g}, confidence >= {rules.min_confidence:g})",
        params={"basket": basket, "k": k}, frame=rules.recommend(basket, k, allowed))


def basket_rules(reader: Reader, min_support: float = 0.002, min_confidence: float = 0.1) -> BasketRulesResult:
    """Association rules ``antecedent -> consequent`` with support, confidence and lift."""
    rules = fit_basket_rules(reader, min_support, min_confidence)
    return BasketRulesResult(model="association rules of product pairs bought in the same order",
                             params={"min_support": min_support, "min_confidence": min_confidence},
                             frame=rules.rules_.copy(), orders=int(rules.n_orders_))
