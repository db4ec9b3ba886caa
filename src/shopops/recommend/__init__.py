"""Recommendations: ALS/BPR (``implicit``), item-item cosine, popularity, basket rules and their evaluation."""

from shopops.recommend._data import InteractionMatrix, eligible_products, purchase_lines
from shopops.recommend._shop import evaluate_shop, fit_basket_rules, fit_recommender
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
    "InteractionMatrix",
    "ItemItemRecommender",
    "PopularityRecommender",
    "Recommender",
    "eligible_products",
    "evaluate_recommenders",
    "evaluate_shop",
    "fit_basket_rules",
    "fit_recommender",
    "purchase_lines",
    "ranking_metrics",
]
