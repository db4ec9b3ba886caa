"""Top-k selection shared by the recommender and its evaluation."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["top_k"]


def top_k(scores: np.ndarray, k: int, exclude: sp.csr_matrix | None = None) -> np.ndarray:
    """Column indices of the ``k`` best scores per row, best first; ``exclude`` > 0 entries never win."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    if exclude is not None:
        rows, cols = exclude.nonzero()
        scores[rows, cols] = -np.inf
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)
