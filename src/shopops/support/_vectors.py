"""One text's TF-IDF vector without scikit-learn's per-call checks, for answering one message at a time.

``TfidfVectorizer.transform`` validates its input and builds a sparse matrix on every call, which costs
more than the arithmetic for a single short message. This computes the same vector (sublinear tf, idf,
l2 norm, as fitted) from the vectorizer's vocabulary and idf weights.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["tfidf_vector"]


def tfidf_vector(vectorizer: TfidfVectorizer, text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Column indices and values of ``text``'s l2-normalised TF-IDF row (``sublinear_tf`` as fitted)."""
    vocabulary = vectorizer.vocabulary_
    counts = Counter(t for t in vectorizer.build_analyzer()(text) if t in vocabulary)
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    idx = np.fromiter((vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    if vectorizer.sublinear_tf:
        tf = 1.0 + np.log(tf)
    values = tf * vectorizer.idf_[idx]
    norm = float(np.sqrt(values @ values))
    return idx, values / norm if norm > 0 else values
