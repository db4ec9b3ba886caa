"""The trained bot: intent classifier, hand-off threshold, knowledge-base retriever, saved in the data directory.

``train_support_model`` learns the intents of the shop's labelled messages (plus the knowledge base's
questions: entries that serve an intent teach that intent, the others the intent ``faq``; everyday
off-topic requests teach ``out_of_scope``), tunes the
hand-off threshold on a held-out validation share of the messages for a target answer precision,
and indexes the knowledge base. :meth:`SupportModel.save` writes it under ``<data>/models/support/``;
nothing is downloaded, ever.
"""

from __future__ import annotations

import json
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from shopops.errors import ShopopsError
from shopops.result import Result
from shopops.support._evaluate import score_predictions, split_validation
from shopops.support._intent import IntentClassifier, Threshold, tune_threshold
from shopops.support._offtopic import OFF_TOPIC, OUT_OF_SCOPE
from shopops.support._retrieval import HybridRetriever

__all__ = ["FAQ_INTENT", "MODEL_DIR", "SupportModel", "TrainResult", "model_stamp", "train_support_model"]

FAQ_INTENT = "faq"
MODEL_DIR = Path("models") / "support"
_MODEL_FILE = "model.pkl"
_FORMAT = 1


@dataclass
class SupportModel:
    """Everything the bot needs to understand a message.

    Attributes
    ----------
    classifier : IntentClassifier
        The fitted intent classifier.
    threshold : Threshold
        Hand off below this confidence.
    min_margin : float
        Hand off when the top two intents are closer than this.
    retriever : HybridRetriever
        The fitted knowledge-base retriever.
    kb : DataFrame
        The knowledge base (one row per question variant).
    metrics : dict
        Validation figures of training.
    """

    classifier: IntentClassifier
    threshold: Threshold
    min_margin: float
    retriever: HybridRetriever
    kb: pd.DataFrame
    metrics: dict[str, Any] = field(default_factory=dict)
    trained_at: str = ""

    def _index(self) -> dict[str, dict[Any, Any]]:
        """Answers by entry, entries by (topic, language), topics by intent: built once, not per message."""
        index: dict[str, dict[Any, Any]] | None = self.__dict__.get("_kb_index")
        if index is None:
            kb = self.kb.drop_duplicates("entry_id")
            topics: dict[Any, Any] = {}
            for intent, topic in zip(kb["intent"], kb["topic"], strict=True):
                if isinstance(intent, str) and intent:
                    topics.setdefault(intent, set()).add(str(topic))
            index = {"answer": dict(zip(kb["entry_id"], kb["answer"].astype(str), strict=True)),
                     "entry": {(str(t), str(lang)): str(e) for e, t, lang in
                               zip(kb["entry_id"], kb["topic"], kb["language"], strict=True)},
                     "topics": topics}
            self.__dict__["_kb_index"] = index
        return index

    def answer_of(self, entry_id: str) -> str:
        """The answer text of a knowledge-base entry."""
        return str(self._index()["answer"].get(entry_id, ""))

    def entry_in(self, topic: str, language: str) -> str | None:
        """The entry of ``topic`` in ``language``, if the knowledge base has one."""
        found = self._index()["entry"].get((topic, language))
        return None if found is None else str(found)

    def topics_of(self, intent: str) -> set[str]:
        """The topics whose entries serve ``intent``."""
        topics: set[str] = self._index()["topics"].get(intent, set())
        return topics

    def save(self, data_dir: Path) -> Path:
        """Write the model to ``<data_dir>/models/support/model.pkl`` (atomically) and return the path."""
        folder = Path(data_dir) / MODEL_DIR
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _MODEL_FILE
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump({"format": _FORMAT, "model": self}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        (folder / "metrics.json").write_text(json.dumps(self.metrics, indent=1, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, data_dir: Path) -> SupportModel:
        """The model saved in ``data_dir``; a clear error when there is none."""
        path = Path(data_dir) / MODEL_DIR / _MODEL_FILE
        if not path.is_file():
            raise ShopopsError(f"no support model in {Path(data_dir)}: run `shopops support train` first")
        with path.open("rb") as fh:
            # The file is written by this data directory's own `support train`; it is trusted like the warehouse.
            saved = pickle.load(fh)
        if not isinstance(saved, dict) or saved.get("format") != _FORMAT:
            raise ShopopsError(f"{path} was written by another shopops version: run `shopops support train` again")
        model: SupportModel = saved["model"]
        return model


def model_stamp(data_dir: Path) -> tuple[int, int] | None:
    """When and how big the saved model is (None when there is none): a new value means a new model."""
    try:
        st = (Path(data_dir) / MODEL_DIR / _MODEL_FILE).stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


@dataclass(kw_only=True)
class TrainResult(Result):
    """A trained support model and its validation figures."""

    capability: ClassVar[str] = "support"
    support_model: SupportModel | None = None
    validation: pd.DataFrame = field(default_factory=pd.DataFrame)


def _kb_examples(kb: pd.DataFrame) -> pd.DataFrame:
    """The knowledge base's questions as labelled examples: their entry's intent, else ``faq``."""
    label = kb["intent"].fillna(FAQ_INTENT).replace("", FAQ_INTENT)
    return pd.DataFrame({"text": kb["question"], "label": label}).astype(str)


def _off_topic(val_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The off-topic examples split into (train, validation): validation tells the threshold what to refuse."""
    off = pd.DataFrame({"text": [t for texts in OFF_TOPIC.values() for t in texts], "label": OUT_OF_SCOPE})
    held = np.random.default_rng(seed).random(len(off)) < val_share
    return off[~held], off[held]


def train_support_model(messages: pd.DataFrame, kb: pd.DataFrame, *, target_precision: float = 0.98,
                        min_margin: float = 0.05, min_confidence: float = 0.5, val_share: float = 0.2, seed: int = 0,
                        classifier: IntentClassifier | None = None) -> TrainResult:
    """Train the bot on labelled messages and the knowledge base.

    Parameters
    ----------
    messages : DataFrame
        Columns ``text`` and ``intent`` (unlabelled rows are skipped), e.g. ``fact_message``.
    kb : DataFrame
        The knowledge base (``entry_id, topic, language, question, answer, intent``), e.g. ``dim_kb_entry``.
    target_precision : float
        Answers above the tuned threshold are right at least this often on validation.
    min_margin : float
        Hand off when the two best intents are closer than this.
    min_confidence : float
        The threshold is never below this, however clean validation was: templated or small validation sets
        are easier than live traffic.
    val_share : float
        Share of each intent's examples held out to tune the threshold and measure.
    seed : int
        Seed of the validation split and the classifier.
    classifier : IntentClassifier or None
        The classifier to train (default settings when None).
    """
    started = time.perf_counter()
    if kb.empty:
        raise ShopopsError("the knowledge base is empty: load one with `shopops support kb FILE` or simulate a shop")
    msgs = messages.dropna(subset=["text", "intent"])
    data = pd.DataFrame({"text": msgs["text"], "label": msgs["intent"]}).astype(str)
    if data["label"].nunique() < 2:
        raise ShopopsError("the support model needs labelled messages of at least two intents (fact_message.intent)")
    # Validation is held-out messages plus held-out off-topic requests (which must not be answered); every
    # knowledge-base question is a training example.
    train, val = split_validation(data, val_share, seed)
    off_train, off_val = _off_topic(val_share, seed)
    train = pd.concat([train, _kb_examples(kb), off_train], ignore_index=True)
    val = pd.concat([val, off_val], ignore_index=True)
    clf = classifier or IntentClassifier(seed=seed, mask_entities=True)
    clf.fit(train["text"].tolist(), train["label"].tolist())
    scores = clf.score(val["text"].tolist())
    labels = val["label"].to_numpy()
    correct = (scores.intent == labels) & (labels != OUT_OF_SCOPE)
    # What the bot answers: confident, not ambiguous and not out of scope. Tune the confidence cut on that.
    conf = np.where((scores.margin >= min_margin) & (scores.intent != OUT_OF_SCOPE), scores.confidence, 0.0)
    tuned = tune_threshold(conf, correct, target_precision=target_precision)
    if tuned.value < min_confidence:
        kept = conf >= min_confidence
        tuned = Threshold(min_confidence, tuned.objective + f", at least {min_confidence:g}",
                          float(correct[kept].mean()) if kept.any() else 1.0, float(kept.mean()))
    threshold = tuned
    answered = conf >= threshold.value
    predicted = np.where(answered, scores.intent, "handoff")
    validation = pd.DataFrame({"text": val["text"], "label": val["label"], "predicted": predicted,
                               "best_intent": scores.intent, "confidence": scores.confidence})
    overall = score_predictions(val["label"].to_numpy(), scores.intent, None)
    metrics = {"val_texts": len(val), "train_texts": len(train), "intents": len(clf.classes_),
               "val_accuracy": overall["accuracy"], "val_macro_f1": overall["macro_f1"],
               "threshold": threshold.value, "answered_share": float(answered.mean()),
               "answered_precision": float(correct[answered].mean()) if answered.any() else float("nan"),
               "train_seconds": 0.0}
    retriever = HybridRetriever().fit(kb)
    metrics["train_seconds"] = time.perf_counter() - started
    model = SupportModel(clf, threshold, min_margin, retriever, kb.reset_index(drop=True), metrics,
                         pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"))
    return TrainResult(model="word + char TF-IDF linear SVM intents, BM25 + char n-gram retrieval",
                       params={"target_precision": target_precision, "min_margin": min_margin,
                               "min_confidence": min_confidence, "val_share": val_share,
                               "seed": seed},
                       metrics=metrics, support_model=model, validation=validation)
