"""The result base: frames found by type, a readable explanation, a JSON description for a registry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

import numpy as np
import pandas as pd

from shopops.result import Result, plain


@dataclass(kw_only=True)
class _Answer(Result):
    capability: ClassVar[str] = "example"
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    other: pd.DataFrame = field(default_factory=pd.DataFrame)
    note: str = ""


def test_frames_explain_and_describe():
    result = _Answer(model="mean of the last 28 days", params={"horizon": np.int64(28), "as_of": date(2011, 12, 9)},
                     metrics={"wrmsse": np.float64(0.9031234), "coverage": float("nan")},
                     table=pd.DataFrame({"a": [1, 2, 3]}), other=pd.DataFrame({"b": [1]}), note="x")
    assert list(result.frames) == ["table", "other"]
    text = result.explain()
    assert "example: mean of the last 28 days" in text and "wrmsse 0.9031" in text and "table: 3 rows" in text
    described = json.loads(result.to_json())
    assert described == {"capability": "example", "result": "_Answer", "model": "mean of the last 28 days",
                         "params": {"horizon": 28, "as_of": "2011-12-09"},
                         "metrics": {"wrmsse": 0.9031234, "coverage": None}, "frames": {"table": 3, "other": 1}}


def test_plain_makes_nested_values_json_ready():
    assert plain({"a": [np.int32(1), (np.float32(0.5), pd.Timestamp("2011-01-02"))], 3: {"x"}}) == \
        {"a": [1, [0.5, "2011-01-02T00:00:00"]], "3": "{'x'}"}
