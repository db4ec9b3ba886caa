"""Item-item collaborative filtering: cosine similarity of products' buyer vectors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["ItemItemRecommender"]


@dataclass
class ItemItemRecommender:
    """Score = sum of cosine similarities to the products the customer bought.

    Parameters
    ----------
    neighbours : int
        Similarities kept per product (the rest are zeroed, which is faster and less noisy).
    """

    neighbours: int = 100
    name: str = "item-item"

    def fit(self, matrix: sp.csr_matrix) -> ItemItemRecommender:
        """Compute the sparse top-``neighbours`` product similarity matrix."""
        binary = (matrix > 0).astype(np.float32).tocsc()
        norms = np.sqrt(np.asarray(binary.multiply(binary).sum(axis=0)).ravel())
        norms[norms == 0] = 1.0
        scaled = binary @ sp.diags(1.0 / norms).astype(np.float32)
        sim = (scaled.T @ scaled).tocsr()
        sim.setdiag(0.0)
        sim.eliminate_zeros()
        self.similarity_ = _top_per_row(sim, self.neighbours)
        return self

    def score(self, matrix: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        """Scores of all products for the customers in ``rows``."""
        user = (matrix[rows] > 0).astype(np.float32)
        return np.asarray((user @ self.similarity_).todense(), dtype=np.float32)


def _top_per_row(sim: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest entries of each row."""
    indptr, indices, data = sim.indptr, sim.indices, sim.data
    keep = np.zeros(len(data), dtype=bool)
    for row in range(sim.shape[0]):
        start, end = indptr[row], indptr[row + 1]
        if end - start <= k:
            keep[start:end] = True
        else:
            top = np.argpartition(-data[start:end], k)[:k]
            keep[start + top] = True
    pruned = sp.csr_matrix((np.where(keep, data, 0.0), indices, indptr), shape=sim.shape, dtype=np.float32)
    pruned.eliminate_zeros()
    # The transpose makes ``user @ sim`` sum similarities *to* each candidate from the customer's products.
    return pruned.T.tocsr()
