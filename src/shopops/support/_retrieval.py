"""Hybrid retrieval over the knowledge base: BM25 on words plus cosine on character n-grams, fused.

BM25 (``bm25s``) on jieba / word tokens finds entries that share the customer's words; the cosine of
character 1-3-gram TF-IDF vectors finds them through typos, inflections and Chinese words jieba cut
differently. Each signal is scaled to [0, 1] per query (BM25 by its best score, the cosine as it is)
and the two are mixed with ``weight``; an entry scores as its best question variant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from shopops.errors import ShopopsError
from shopops.support._text import char_ngrams, normalise, tokens

__all__ = ["Hit", "HybridRetriever"]


@dataclass(frozen=True)
class Hit:
    """One knowledge-base entry found for a query.

    Attributes
    ----------
    entry_id, topic, language, question : str
        The entry and the question variant that matched best.
    score : float
        The fused score in [0, 1].
    bm25, cosine : float
        The two signals (BM25 scaled by the query's best BM25 score; character n-gram cosine).
    """

    entry_id: str
    topic: str
    language: str
    question: str
    score: float
    bm25: float
    cosine: float


class HybridRetriever:
    """BM25 + character n-gram retrieval over question variants.

    Parameters
    ----------
    weight : float
        Share of BM25 in the fused score (the rest is the character n-gram cosine).
    """

    def __init__(self, weight: float = 0.5) -> None:
        self.weight = weight

    def fit(self, kb: pd.DataFrame) -> HybridRetriever:
        """Index the question variants of ``kb`` (columns ``entry_id, topic, language, question``)."""
        import bm25s

        if kb.empty:
            raise ShopopsError("the knowledge base is empty: load one with `shopops support kb FILE` "
                               "or simulate a shop")
        self.kb_ = kb[["entry_id", "topic", "language", "question"]].reset_index(drop=True)
        norm = [normalise(q) for q in self.kb_["question"]]
        self.bm25_ = bm25s.BM25()
        self.bm25_.index([tokens(q) or ["\x00"] for q in norm], show_progress=False)
        self.chars_ = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True)
        self.matrix_ = self.chars_.fit_transform(norm)
        self.entry_codes_, self.entries_ = pd.factorize(self.kb_["entry_id"])
        return self

    def scores(self, query: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """The scaled BM25 score and the character cosine of every question variant for ``query``."""
        norm = normalise(query)
        words = tokens(norm)
        bm = np.asarray(self.bm25_.get_scores(words), dtype=np.float64) if words else np.zeros(len(self.kb_))
        top = bm.max() if bm.size else 0.0
        bm = bm / top if top > 0 else bm
        cos = np.asarray((self.matrix_ @ self.chars_.transform([norm]).T).toarray().ravel(), dtype=np.float64)
        return bm, cos

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[Hit]:
        """The ``k`` best entries for ``query`` (of ``language`` only, when given)."""
        bm, cos = self.scores(query)
        fused = self.weight * bm + (1 - self.weight) * cos
        if language is not None:
            fused = np.where(self.kb_["language"].to_numpy() == language, fused, -1.0)
        # Best variant per entry.
        best = np.full(len(self.entries_), -np.inf)
        np.maximum.at(best, self.entry_codes_, fused)
        hits: list[Hit] = []
        for e in np.argsort(-best)[:k]:
            if best[e] < 0:
                break
            rows = np.flatnonzero(self.entry_codes_ == e)
            r = int(rows[np.argmax(fused[rows])])
            row = self.kb_.iloc[r]
            hits.append(Hit(str(row["entry_id"]), str(row["topic"]), str(row["language"]), str(row["question"]),
                            float(fused[r]), float(bm[r]), float(cos[r])))
        return hits
