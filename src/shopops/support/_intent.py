"""Intent classification: word and character TF-IDF, a linear SVM, and scores that a threshold can cut.

The features read the normalised text (:func:`shopops.support._text.normalise`), so traditional and
simplified Chinese, full-width and half-width digits, upper and lower case are one input. Words
come from jieba for Chinese runs; character n-grams within words catch typos, inflections and
Chinese compounds jieba splits differently. A linear SVM (one-vs-rest) scores every intent; a
softmax of the scores with a fixed temperature turns them into a confidence in [0, 1], and the
hand-off threshold is tuned on that confidence (:func:`tune_threshold`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from shopops.errors import ShopopsError
from shopops.support._entities import mask
from shopops.support._text import normalise, tokens
from shopops.support._vectors import tfidf_vector

__all__ = ["IntentClassifier", "IntentScores", "Threshold", "tune_threshold"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class IntentScores:
    """Scores of a batch of texts.

    Attributes
    ----------
    intent : ndarray of str
        The best intent of each text.
    confidence : ndarray of float
        Softmax probability of the best intent.
    runner_up : ndarray of str
        The second best intent.
    margin : ndarray of float
        Confidence of the best minus that of the second intent.
    """

    intent: npt.NDArray[np.str_]
    confidence: FloatArray
    runner_up: npt.NDArray[np.str_]
    margin: FloatArray


class IntentClassifier:
    """A bilingual intent classifier on word + character TF-IDF with a linear SVM.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the SVM.
    temperature : float
        Softmax temperature applied to the SVM scores (higher is sharper).
    word_ngrams : tuple of int
        Word n-gram range.
    char_ngrams : tuple of int
        Character n-gram range (within word boundaries).
    seed : int
        Seed of the SVM's coordinate descent.
    mask_entities : bool
        Replace order ids, e-mails, phone numbers, addresses, amounts, dates and product codes by their kind
        before reading, so that the words around them decide (the shop's bot does this).
    """

    def __init__(self, C: float = 1.0, temperature: float = 5.0,  # noqa: N803 - scikit-learn's name
                 word_ngrams: tuple[int, int] = (1, 2), char_ngrams: tuple[int, int] = (2, 5), seed: int = 0,
                 mask_entities: bool = False) -> None:
        self.mask_entities = mask_entities
        self.C = C
        self.temperature = temperature
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.seed = seed

    def prepare(self, text: str) -> str:
        """The text as the features read it: entities masked (when asked) and normalised."""
        return normalise(mask(text) if self.mask_entities else text)

    def _features(self, texts: Sequence[str], fit: bool) -> sparse.csr_matrix:
        norm = [self.prepare(str(t)) for t in texts]
        if fit:
            self.word_pairs_ = TfidfVectorizer(analyzer=_TokenNgrams(self.word_ngrams), sublinear_tf=True)
            self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, sublinear_tf=True)
            parts = [v.fit_transform(norm) for v in (self.word_pairs_, self.chars_)]
        else:
            parts = [v.transform(norm) for v in (self.word_pairs_, self.chars_)]
        return sparse.hstack(parts, format="csr")

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> IntentClassifier:
        """Learn the intents of ``texts`` (``labels``, one per text)."""
        if len(texts) != len(labels):
            raise ShopopsError(f"{len(texts)} texts but {len(labels)} labels: give one label per text")
        y = np.asarray([str(v) for v in labels])
        classes = np.unique(y)
        if len(texts) == 0 or classes.size < 2:
            raise ShopopsError(f"intent training needs at least two intents with examples; got "
                               f"{classes.size} intent(s) in {len(texts)} text(s)")
        x = self._features(texts, fit=True)
        self.svm_ = LinearSVC(C=self.C, random_state=self.seed).fit(x, y)
        self.classes_ = self.svm_.classes_
        return self

    def _one(self, text: str) -> FloatArray:
        """The SVM scores of one text, computed directly from the fitted weights (no per-call checks)."""
        norm = self.prepare(text)
        coef, offset, total = self.svm_.coef_, 0, self.svm_.intercept_.astype(np.float64).copy()
        for vectorizer in (self.word_pairs_, self.chars_):
            idx, values = tfidf_vector(vectorizer, norm)
            if idx.size:
                total += coef[:, offset + idx] @ values
            offset += len(vectorizer.vocabulary_)
        return total[None, :] if coef.shape[0] > 1 else np.asarray([[total[0]]])

    def decision(self, texts: Sequence[str]) -> FloatArray:
        """Softmax-normalised scores, one column per intent of ``classes_``."""
        if len(texts) == 1:
            scores = self._one(str(texts[0]))
            scores = scores[:, 0] if scores.shape[1] == 1 else scores
        else:
            scores = self.svm_.decision_function(self._features(texts, fit=False))
        if scores.ndim == 1:  # two classes: one column of scores for the second
            scores = np.column_stack([-scores, scores])
        z = self.temperature * (scores - scores.max(axis=1, keepdims=True))
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)

    def score(self, texts: Sequence[str]) -> IntentScores:
        """Best and second intent of each text with their confidences."""
        p = self.decision(texts)
        order = np.argsort(-p, axis=1)[:, :2]
        rows = np.arange(p.shape[0])
        best, second = p[rows, order[:, 0]], p[rows, order[:, 1]]
        return IntentScores(self.classes_[order[:, 0]], best, self.classes_[order[:, 1]], best - second)

    def predict(self, texts: Sequence[str]) -> npt.NDArray[np.str_]:
        """The best intent of each text."""
        return self.score(texts).intent


class _TokenNgrams:
    """Word n-grams of normalised text (a class, not a closure, so a fitted model pickles)."""

    def __init__(self, span: tuple[int, int]) -> None:
        self.low, self.high = span

    def __call__(self, text: str) -> list[str]:
        words = tokens(text)
        grams: list[str] = []
        for n in range(self.low, self.high + 1):
            grams.extend(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
        return grams


@dataclass(frozen=True)
class Threshold:
    """A hand-off threshold and what it gives on the data it was tuned on.

    Attributes
    ----------
    value : float
        Hand off when the confidence is below it.
    objective : str
        What was optimised (``precision>=0.98``, ``in-scope accuracy + out-of-scope recall``, ...).
    answered_precision : float
        Share of answered texts that were answered right.
    coverage : float
        Share of texts answered (not handed off).
    """

    value: float
    objective: str
    answered_precision: float
    coverage: float


def tune_threshold(confidence: FloatArray, correct: npt.NDArray[np.bool_], *, out_of_scope: npt.NDArray[np.bool_]
                   | None = None, target_precision: float | None = None,
                   max_accuracy_loss: float = 0.01) -> Threshold:
    """The hand-off threshold on ``confidence`` tuned on validation data.

    Parameters
    ----------
    confidence : ndarray
        Confidence of each validation text.
    correct : ndarray of bool
        Whether the best intent was right (always False for an out-of-scope text).
    out_of_scope : ndarray of bool or None
        Which texts are out of scope (should be handed off).
    target_precision : float or None
        With a target: the lowest threshold whose answered texts are right at least this often (the
        most answers at that precision). Without: when there are out-of-scope texts, the threshold with
        the highest out-of-scope recall that costs at most ``max_accuracy_loss`` of in-scope accuracy;
        else 0 (never hand off on confidence).
    max_accuracy_loss : float
        In-scope accuracy (absolute) that out-of-scope detection may cost.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    oos = np.zeros_like(correct) if out_of_scope is None else np.asarray(out_of_scope, dtype=bool)
    if confidence.size == 0:
        raise ShopopsError("cannot tune a threshold on an empty validation set")
    candidates = np.concatenate([[0.0], np.unique(confidence)])
    order = np.argsort(confidence)
    c_sorted, ok_sorted, oos_sorted = confidence[order], correct[order], oos[order]
    # For each candidate t, texts with confidence >= t are answered.
    first = np.searchsorted(c_sorted, candidates, side="left")
    ok_tail = np.concatenate([np.cumsum(ok_sorted[::-1])[::-1], [0]])
    oos_tail = np.concatenate([np.cumsum(oos_sorted[::-1])[::-1], [0]])
    answered = confidence.size - first
    right = ok_tail[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(answered > 0, right / np.maximum(answered, 1), 1.0)
    if target_precision is not None:
        meets = np.flatnonzero(precision >= target_precision)
        k = int(meets[0]) if meets.size else len(candidates) - 1
        objective = f"answered precision >= {target_precision:g}"
    elif oos.any():
        n_in, n_oos = int((~oos).sum()), int(oos.sum())
        in_acc = right / max(n_in, 1)
        oos_recall = (n_oos - oos_tail[first]) / n_oos
        allowed = in_acc >= in_acc[0] - max_accuracy_loss - 1e-12
        k = int(np.argmax(np.where(allowed, oos_recall, -1.0)))
        objective = f"most out-of-scope recall for at most {max_accuracy_loss:g} in-scope accuracy"
    else:
        k = 0
        objective = "no out-of-scope data: never hand off on confidence"
    return Threshold(float(candidates[k]), objective, float(precision[k]), float(answered[k] / confidence.size))

