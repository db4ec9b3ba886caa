"""Recommendations: ALS/BPR (``implicit``), item-item cosine, popularity, basket rules and their evaluation."""

from shopops.recommend._data import InteractionMatrix, eligible_products, purchase_lines
from shopops.recommend._results import BasketRulesResult, EvaluationResult, RecommendationsResult
from shopops.recommend._shop import (
    basket_rules,
    evaluate_shop,
    fit_basket_rules,
    fit_recommender,
    recommend_for_all,
    recommend_for_basket,
    recommend_for_customer,
    recommender_fitted,
)
from shopops.recommend.als import ALSRecommender, BPRRecommender
from shopops.recommend.basket import BasketRules
from shopops.recommend.evaluate import PROTOCOLS, evaluate_recommenders, ranking_metrics
from shopops.recommend.item_item import ItemItemRecommender
from shopops.recommend.popularity import PopularityRecommender
from shopops.recommend.recommender import MODELS, Recommender

__all__ = [
    "MODELS",
    "PROTOCOLS",
    "ALSRecommender",
    "BPRRecommender",
    "BasketRules",
    "BasketRulesResult",
    "EvaluationResult",
    "InteractionMatrix",
    "ItemItemRecommender",
    "PopularityRecommender",
    "RecommendationsResult",
    "Recommender",
    "basket_rules",
    "eligible_products",
    "evaluate_recommenders",
    "evaluate_shop",
    "fit_basket_rules",
    "fit_recommender",
    "purchase_lines",
    "ranking_metrics",
    "recommend_for_all",
    "recommend_for_basket",
    "recommend_for_customer",
    "recommender_fitted",
]
