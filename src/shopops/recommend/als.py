"""Implicit-feedback matrix factorisation: ALS (and BPR) from the ``implicit`` library."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

__all__ = ["ALSRecommender", "BPRRecommender"]


def _bm25(matrix: sp.csr_matrix, k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """BM25 weighting of the counts: damps heavy buyers and very popular products."""
    from implicit.nearest_neighbours import bm25_weight

    return bm25_weight(matrix, K1=k1, B=b).tocsr().astype(np.float32)


class _FactorModel:
    """Shared by the ``implicit`` models: fitting under one BLAS thread, scoring by dot products."""

    user_factors_: np.ndarray
    item_factors_: np.ndarray

    def _fit_implicit(self, make: Callable[[], Any], matrix: sp.csr_matrix) -> None:
        # implicit parallelises itself; a multi-threaded BLAS underneath would oversubscribe the cores, so BLAS
        # gets one thread (and implicit's warning advising exactly that is silenced).
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model = make()
            model.fit(matrix, show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors)
        self.item_factors_ = np.asarray(model.item_factors)

    def score(self, matrix: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        """Scores of all products for the customers in ``rows``."""
        return np.asarray(self.user_factors_[rows] @ self.item_factors_.T, dtype=np.float32)


@dataclass
class ALSRecommender(_FactorModel):
    """Alternating least squares on BM25-weighted purchase counts (Hu, Koren, Volinsky 2008).

    Parameters
    ----------
    factors, regularization, iterations, alpha : ALS settings (``alpha`` scales confidence).
    threads : int
        Worker threads of ``implicit`` (2 cores on the reference machine).
    seed : int
        Random seed of the factor initialisation.
    """

    factors: int = 64
    regularization: float = 0.05
    iterations: int = 15
    alpha: float = 1.0
    threads: int = 2
    seed: int = 0
    name: str = "als"

    def fit(self, matrix: sp.csr_matrix) -> ALSRecommender:
        """Learn customer and product factors."""
        from implicit.cpu.als import AlternatingLeastSquares

        self._fit_implicit(lambda: AlternatingLeastSquares(
            factors=self.factors, regularization=self.regularization, alpha=self.alpha,
            iterations=self.iterations, num_threads=self.threads, random_state=self.seed), _bm25(matrix))
        return self


@dataclass
class BPRRecommender(_FactorModel):
    """Bayesian personalised ranking (Rendle et al. 2009) on binary purchases."""

    factors: int = 64
    learning_rate: float = 0.05
    regularization: float = 0.01
    iterations: int = 50
    threads: int = 2
    seed: int = 0
    name: str = "bpr"

    def fit(self, matrix: sp.csr_matrix) -> BPRRecommender:
        """Learn customer and product factors."""
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        self._fit_implicit(lambda: BayesianPersonalizedRanking(
            factors=self.factors, learning_rate=self.learning_rate, regularization=self.regularization,
            iterations=self.iterations, num_threads=self.threads, random_state=self.seed),
            (matrix > 0).astype(np.float32).tocsr())
        return self
