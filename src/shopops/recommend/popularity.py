"""Popularity baseline: the products most customers bought."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["PopularityRecommender"]


@dataclass
class PopularityRecommender:
    """Scores every product by the number of distinct customers who bought it (same list for everyone)."""

    name: str = "popularity"

    def fit(self, matrix: sp.csr_matrix) -> PopularityRecommender:
        """Count buyers per product."""
        self.item_scores_ = np.asarray((matrix > 0).sum(axis=0), dtype=np.float32).ravel()
        return self

    def score(self, matrix: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        """Scores of all products for the customers in ``rows`` (dense, rows x products)."""
        return np.broadcast_to(self.item_scores_, (len(rows), len(self.item_scores_))).copy()
