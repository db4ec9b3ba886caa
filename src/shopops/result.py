"""The one shape every capability answers with: its frames, which model made them, how good it is, and why.

A capability's public entry point returns a subclass of :class:`Result`: a frozen-in-spirit
dataclass whose DataFrame fields are the answer, plus the name of the model that produced it, the
parameters it ran with and the metrics that measure it (holdout or backtest scores). The same three
descriptive fields on every result let a surface print any result, and let a model registry store any
result with its metrics and version, without knowing the capability.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["Result", "plain"]


@dataclass(kw_only=True)
class Result:
    """Base of every capability's result.

    Attributes
    ----------
    capability : str
        The capability that produced it (``forecast``, ``inventory``, ``customers``, ...), a class constant.
    model : str
        Which model made the answer, in a few words (e.g. ``"LightGBM churn classifier, time split"``).
    params : dict
        The parameters the entry point ran with (JSON-ready values).
    metrics : dict
        How good the model is, measured on data it did not see (holdout or backtest), JSON-ready.
    """

    capability: ClassVar[str] = ""
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """Every DataFrame of the result by field name, in declaration order."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame):
                out[f.name] = value
        return out

    def explain(self) -> str:
        """A few lines a person can read: the model, its parameters and its measured accuracy."""
        lines = [f"{self.capability or type(self).__name__}: {self.model or 'no model'}"]
        if self.params:
            lines.append("parameters: " + ", ".join(f"{k}={_short(v)}" for k, v in self.params.items()))
        if self.metrics:
            lines.append("measured: " + ", ".join(f"{k} {_short(v)}" for k, v in self.metrics.items()))
        for name, frame in self.frames.items():
            lines.append(f"{name}: {len(frame):,} rows")
        return "\n".join(lines)

    def describe(self) -> dict[str, Any]:
        """The result without its frames, JSON-ready: what a registry stores beside the artifacts."""
        return {"capability": self.capability, "result": type(self).__name__, "model": self.model,
                "params": plain(self.params), "metrics": plain(self.metrics),
                "frames": {name: len(frame) for name, frame in self.frames.items()}}

    def to_json(self) -> str:
        """:meth:`describe` as a JSON string."""
        return json.dumps(self.describe(), sort_keys=True)


def plain(value: Any) -> Any:
    """``value`` with numpy scalars, NaN, dates and nested containers made JSON-ready."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _short(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)
