"""A shop whose forecast, segments and recommendations are small stand-ins of the real shapes (for tests only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopops import Shop
from shopops.customers import SegmentsResult
from shopops.forecast import DemandForecaster, ForecastResult
from shopops.recommend import RecommendationsResult

QUANTILES = ["q05", "q50", "q80", "q90", "q95", "q99"]


class ContractShop(Shop):
    """A shop whose forecast, segments and recommendations are stand-ins with the real methods' shapes."""

    calls: int = 0

    def forecast(self, horizon=28, level="product", freq="D", until=None):
        ContractShop.calls += 1
        ids = self.sql("SELECT product_id FROM dim_product WHERE is_product ORDER BY 1")["product_id"]
        days = pd.date_range("2024-07-01", periods=horizon, freq="D")
        rows = [{"unique_id": p, "ds": d, "yhat": 2.0 + i, **{q: 1.0 + i + k * 0.5 for k, q in enumerate(QUANTILES)}}
                for i, p in enumerate(ids) for d in days]
        return ForecastResult(frame=pd.DataFrame(rows), forecaster=DemandForecaster(horizon=horizon),
                              choice=pd.DataFrame())

    def segments(self):
        ids = self.sql("SELECT customer_id FROM dim_customer ORDER BY 1 LIMIT 5")["customer_id"]
        frame = pd.DataFrame({"customer_id": ids, "recency_days": np.arange(5.0), "frequency": [1, 2, 3, 4, 5],
                              "monetary": [10.0] * 5, "r_score": [1, 2, 3, 4, 5], "f_score": [5, 4, 3, 2, 1],
                              "m_score": [3] * 5, "segment": ["champions"] * 2 + ["at risk"] * 3, "cluster": [0, 0, 1, 1, 1]})
        return SegmentsResult(frame=frame, summary=self.segment_summary(), cluster_profiles=pd.DataFrame())

    def segment_summary(self):
        return pd.DataFrame({"segment": ["champions", "at risk"], "customers": [2, 3], "monetary": [20.0, 30.0]})

    def recommend(self, customer_id, k=10):
        return RecommendationsResult(frame=pd.DataFrame({
            "product_id": ["P1", "P2"][:k], "score": [0.9, 0.5], "model": ["als", "als"],
            "reason": ["bought with X", "popular"]}))
