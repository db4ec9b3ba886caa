"""The intent model, the threshold and `support evaluate` on labelled files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from shopops.cli import app
from shopops.errors import ShopopsError, SourceError
from shopops.support import IntentClassifier, evaluate_intents, read_labelled, split_validation, tune_threshold

_EXAMPLES = {
    "refund": ["i want my money back", "refund my purchase please", "how do i get a refund", "give me a refund now",
               "can i have a refund for this", "money back for the broken item", "refund status please",
               "when is my refund coming", "退款什么时候到", "我要退款"],
    "delivery": ["where is my parcel", "when will my order arrive", "delivery is late", "track my package",
                 "has my order shipped", "parcel not arrived yet", "what is the delivery date", "tracking number please",
                 "我的快递到哪了", "什么时候送到"],
    "greeting": ["hello there", "hi", "good morning", "hey how are you", "good evening team", "hello hello",
                 "hi there friend", "greetings", "你好", "早上好"],
}


def _frame(rows: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame([(t, k) for k, ts in rows.items() for t in ts], columns=["text", "label"])


def test_classifier_learns_both_languages() -> None:
    df = _frame(_EXAMPLES)
    clf = IntentClassifier().fit(df["text"].tolist(), df["label"].tolist())
    pred = clf.predict(["where is my parcel?", "我要退款！", "hello"])
    assert list(pred) == ["delivery", "refund", "greeting"]
    scores = clf.score(["refund"])
    assert 0 < scores.confidence[0] <= 1 and scores.runner_up[0] != scores.intent[0]


def test_classifier_needs_two_intents() -> None:
    with pytest.raises(ShopopsError, match="two intents"):
        IntentClassifier().fit(["a", "b"], ["x", "x"])


def test_threshold_meets_the_target_precision() -> None:
    rng = np.random.default_rng(0)
    conf = rng.random(2000)
    correct = rng.random(2000) < conf  # more confident is more often right
    t = tune_threshold(conf, correct, target_precision=0.9)
    answered = conf >= t.value
    assert correct[answered].mean() >= 0.9
    # the lowest such threshold: one step lower would miss the target or answer the same
    assert t.coverage == pytest.approx(answered.mean())


def test_threshold_with_out_of_scope_costs_at_most_the_allowed_accuracy() -> None:
    rng = np.random.default_rng(1)
    n = 1000
    oos = rng.random(n) < 0.1
    conf = np.where(oos, rng.random(n) * 0.6, 0.3 + rng.random(n) * 0.7)
    correct = ~oos & (rng.random(n) < 0.95)
    t = tune_threshold(conf, correct, out_of_scope=oos, max_accuracy_loss=0.02)
    kept = conf >= t.value
    in_acc = (correct & kept)[~oos].mean()
    assert in_acc >= correct[~oos].mean() - 0.02 - 1e-9
    assert (~kept[oos]).mean() > 0.3


def test_split_validation_is_stratified_and_seeded() -> None:
    df = _frame(_EXAMPLES)
    a, b = split_validation(df, 0.2, seed=3)
    assert len(a) + len(b) == len(df) and set(b["label"]) == set(df["label"])
    assert split_validation(df, 0.2, seed=3)[1].equals(b)


def test_evaluate_hands_off_to_the_oos_label() -> None:
    df = _frame(_EXAMPLES)
    oos = pd.DataFrame({"text": ["what is the capital of peru", "play a song", "how tall is a giraffe",
                                 "tell me a poem"], "label": "oos"})
    result = evaluate_intents(pd.concat([df, oos.iloc[:2]]), pd.concat([df, oos.iloc[2:]]), pd.concat([df, oos]),
                              oos_label="oos")
    assert list(result.predictions.columns) == ["text", "label", "predicted", "confidence"]
    m = result.metrics
    assert {"in_scope_accuracy", "oos_recall", "oos_precision", "macro_f1"} <= set(m)
    assert m["in_scope_accuracy"] > 0.8


def test_cli_evaluate_reads_files_as_stored(tmp_path: Path) -> None:
    df = _frame(_EXAMPLES).rename(columns={"label": "intent"})
    df.to_parquet(tmp_path / "train.parquet")
    df.iloc[::2].to_csv(tmp_path / "val.csv", index=False)
    df.iloc[1::2].to_parquet(tmp_path / "test.parquet")
    out = tmp_path / "pred.csv"
    result = CliRunner().invoke(app, ["support", "evaluate", "--train", str(tmp_path / "train.parquet"),
                                      "--val", str(tmp_path / "val.csv"), "--test", str(tmp_path / "test.parquet"),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["text", "label", "predicted", "confidence"] and len(pred) == len(df.iloc[1::2])
    assert "macro F1" in result.output


def test_cli_evaluate_says_which_column_is_missing(tmp_path: Path) -> None:
    pd.DataFrame({"utterance_x": ["a"], "y": ["b"]}).to_csv(tmp_path / "bad.csv", index=False)
    result = CliRunner().invoke(app, ["support", "evaluate", "--train", str(tmp_path / "bad.csv"), "--test",
                                      str(tmp_path / "bad.csv"), "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2
    assert "cannot tell the text column" in result.output


def test_read_labelled_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_labelled([tmp_path / "nope.parquet"])
