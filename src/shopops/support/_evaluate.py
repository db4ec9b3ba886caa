"""Scoring the intent model on any labelled set: train, tune the hand-off threshold on validation, score a test.

The files are read as they are published (Parquet or CSV, several per option), so a held-back
official test split in the layout of the shared train and validation files is scored with the same
command. Out-of-scope texts (the ``oos_label``) may be in the training data, as a class of their
own; the threshold on the confidence hands off the rest. A text handed off is predicted as the
out-of-scope label, so an in-scope text handed off counts as wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from shopops.errors import ShopopsError, SourceError
from shopops.result import Result
from shopops.support._intent import IntentClassifier, Threshold, tune_threshold

__all__ = ["EvaluationResult", "evaluate_intents", "read_labelled", "score_predictions", "split_validation"]

_TEXT_NAMES = ("text", "instruction", "utterance", "query", "message", "question", "sentence")
_LABEL_NAMES = ("intent", "label", "category", "class", "target")


def _pick(columns: Sequence[str], wanted: str | None, names: Sequence[str], what: str, path: Path) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise SourceError(f"{path}: no {what} column {wanted!r}; the file has: {', '.join(columns)}")
        return wanted
    for name in names:
        if name in columns:
            return name
    raise SourceError(f"{path}: cannot tell the {what} column (looked for {', '.join(names)}); the file has: "
                      f"{', '.join(columns)}. Name it with --{what}")


def read_labelled(paths: Sequence[Path | str], text: str | None = None, label: str | None = None) -> pd.DataFrame:
    """Texts and labels of one or more Parquet or CSV files, as columns ``text`` and ``label``.

    Parameters
    ----------
    paths : sequence of path
        The files; their rows are concatenated.
    text, label : str or None
        The column names; by default the first of the usual names found (``text``, ``instruction``, ...;
        ``intent``, ``label``, ``category``, ...).
    """
    if not paths:
        raise ShopopsError("no labelled files given")
    frames = []
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise SourceError(f"{path}: no such file")
        try:
            df = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
        except Exception as exc:
            raise SourceError(f"{path}: cannot be read as {'Parquet' if path.suffix == '.parquet' else 'CSV'}: "
                              f"{exc}") from None
        t = _pick(list(df.columns), text, _TEXT_NAMES, "text", path)
        lab = _pick(list(df.columns), label, _LABEL_NAMES, "label", path)
        part = pd.DataFrame({"text": df[t].astype("string"), "label": df[lab].astype("string")})
        bad = part["text"].isna() | part["label"].isna()
        part = part[~bad]
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    if out.empty:
        raise SourceError(f"{', '.join(str(p) for p in paths)}: no labelled rows")
    return out.astype({"text": str, "label": str})


def split_validation(frame: pd.DataFrame, share: float = 0.15, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A stratified split of ``frame`` into (train, validation), ``share`` of each label to validation."""
    if not 0 < share < 1:
        raise ShopopsError(f"validation share must be between 0 and 1, not {share}")
    rng = np.random.default_rng(seed)
    val_rows: list[int] = []
    for _, idx in frame.groupby("label").indices.items():
        idx = np.asarray(idx)
        k = round(len(idx) * share) if len(idx) > 1 else 0
        val_rows.extend(rng.choice(idx, size=k, replace=False).tolist())
    mask = np.zeros(len(frame), dtype=bool)
    mask[val_rows] = True
    return frame[~mask].reset_index(drop=True), frame[mask].reset_index(drop=True)


@dataclass(kw_only=True)
class EvaluationResult(Result):
    """Intent accuracy of a trained model on a test set, at the hand-off threshold tuned on validation.

    Attributes
    ----------
    predictions : DataFrame
        ``text, label, predicted, confidence`` of every test text; ``predicted`` is the out-of-scope
        label where the bot would hand off.
    threshold : Threshold
        The hand-off threshold and what it gave on validation.
    """

    capability: ClassVar[str] = "support"
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    threshold: Threshold | None = None


def score_predictions(label: np.ndarray, predicted: np.ndarray, oos_label: str | None) -> dict[str, float]:
    """In-scope accuracy, out-of-scope recall and precision, macro F1 and accuracy of predictions."""
    label, predicted = np.asarray(label, dtype=object), np.asarray(predicted, dtype=object)
    out: dict[str, float] = {"texts": float(label.size), "accuracy": float((label == predicted).mean())}
    if oos_label is not None:
        is_oos = label == oos_label
        said_oos = predicted == oos_label
        out["in_scope_accuracy"] = float((predicted[~is_oos] == label[~is_oos]).mean()) if (~is_oos).any() else 0.0
        out["oos_recall"] = float(said_oos[is_oos].mean()) if is_oos.any() else float("nan")
        out["oos_precision"] = float(is_oos[said_oos].mean()) if said_oos.any() else float("nan")
        out["handed_off"] = float(said_oos.mean())
    out["macro_f1"] = float(f1_score(label, predicted, average="macro", zero_division=0))
    return out


def evaluate_intents(train: pd.DataFrame, val: pd.DataFrame, test: pd.DataFrame, *, oos_label: str | None = None,
                     target_precision: float | None = None, max_accuracy_loss: float = 0.01,
                     model: IntentClassifier | None = None) -> EvaluationResult:
    """Train on ``train``, tune the hand-off threshold on ``val``, score ``test`` (frames of ``text, label``).

    Parameters
    ----------
    train, val, test : DataFrame
        Columns ``text`` and ``label`` (see :func:`read_labelled`).
    oos_label : str or None
        The out-of-scope label: handed-off texts are predicted as it.
    target_precision, max_accuracy_loss : float
        How the threshold is tuned (:func:`shopops.support.tune_threshold`).
    model : IntentClassifier or None
        The classifier to train (default settings when None).
    """
    clf = model or IntentClassifier()
    clf.fit(train["text"].tolist(), train["label"].tolist())
    v = clf.score(val["text"].tolist())
    v_label = val["label"].to_numpy(dtype=object)
    v_oos = v_label == oos_label if oos_label is not None else np.zeros(len(val), dtype=bool)
    v_correct = (v.intent == v_label) & ~v_oos
    # A text the model itself calls out of scope is handed off whatever its confidence.
    v_conf = np.where(v.intent == oos_label, 0.0, v.confidence) if oos_label is not None else v.confidence
    threshold = tune_threshold(v_conf, v_correct, out_of_scope=v_oos if oos_label is not None else None,
                               target_precision=target_precision, max_accuracy_loss=max_accuracy_loss)
    t = clf.score(test["text"].tolist())
    hand_off = t.confidence < threshold.value
    # Without an out-of-scope label there is nothing to hand off to.
    predicted = np.where(hand_off | (t.intent == oos_label), oos_label, t.intent) if oos_label is not None else t.intent
    predictions = pd.DataFrame({"text": test["text"].to_numpy(), "label": test["label"].to_numpy(),
                                "predicted": predicted, "confidence": np.round(t.confidence, 6)})
    metrics = score_predictions(predictions["label"].to_numpy(), predictions["predicted"].to_numpy(), oos_label)
    metrics["threshold"] = threshold.value
    metrics["val_answered_precision"] = threshold.answered_precision
    metrics["val_coverage"] = threshold.coverage
    return EvaluationResult(
        model="word 1-2-gram + char 2-5-gram TF-IDF, linear SVM, softmax confidence",
        params={"C": clf.C, "temperature": clf.temperature, "oos_label": oos_label,
                "target_precision": target_precision, "max_accuracy_loss": max_accuracy_loss,
                "threshold_objective": threshold.objective, "train_texts": len(train), "val_texts": len(val),
                "intents": len(clf.classes_)},
        metrics=metrics, predictions=predictions, threshold=threshold)
