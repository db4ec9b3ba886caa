"""The public names of the customers and recommend packages are what the docs say, and they resolve."""

from __future__ import annotations

import shopops
from shopops import customers, recommend


def test_public_names():
    assert {"BetaGeoModel", "GammaGammaModel", "ChurnModel", "CustomerClusters", "rfm_table", "assign_segments",
            "segment_summary", "customer_lifetime_value", "clv_summary", "repeat_tracking"} <= set(customers.__all__)
    assert {"ALSRecommender", "BPRRecommender", "ItemItemRecommender", "PopularityRecommender", "BasketRules",
            "Recommender", "evaluate_recommenders", "ranking_metrics"} <= set(recommend.__all__)
    for module in (customers, recommend):
        assert all(hasattr(module, name) for name in module.__all__)
        assert module.__all__ == sorted(module.__all__, key=lambda n: (not n.isupper(), n))
    assert issubclass(shopops.UnknownCustomerError, shopops.ShopopsError)
    assert issubclass(shopops.CustomerDataError, shopops.ShopopsError)
    for method in ("segments", "segment_summary", "churn", "clv", "recommend", "recommend_all",
                   "recommend_evaluate", "recommend_basket", "basket_rules", "cluster_profiles"):
        assert callable(getattr(shopops.Shop, method))
