"""The feature basis of the linear models: scaled numbers, splines of skewed amounts, one-hot categories."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.preprocessing import SplineTransformer

__all__ = ["FeatureBasis"]

_MAX_LEVELS = 50
_SMALL_INT = 12


@dataclass
class FeatureBasis:
    """Turns feature columns into a standardised numeric matrix and remembers which column each part came from.

    Numbers are standardised; amounts with many distinct values also get a cubic spline of their
    log (uplift often rises and falls with spend); small integers (months, counts) and strings are
    one-hot encoded. ``groups_`` maps every basis column to its source feature, for the reasons.
    """

    n_knots: int = 6
    columns_: list[str] = field(default_factory=list)
    groups_: list[str] = field(default_factory=list)
    _levels: dict[str, list[str]] = field(default_factory=dict)
    _splines: dict[str, SplineTransformer] = field(default_factory=dict)
    _mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _scale: np.ndarray = field(default_factory=lambda: np.ones(0))

    def fit(self, frame: pd.DataFrame) -> FeatureBasis:
        """Learn the levels, spline knots and scaling from ``frame``."""
        self.columns_ = list(frame.columns)
        self._levels, self._splines = {}, {}
        for col in self.columns_:
            values = frame[col]
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                levels = values.astype(str).value_counts().index[:_MAX_LEVELS]
                self._levels[col] = sorted(levels)
                continue
            distinct = values.nunique()
            if distinct <= _SMALL_INT and distinct > 2:
                self._levels[col] = sorted(values.astype(str).unique())
            if distinct > 2 * self.n_knots and values.min() >= 0:
                self._splines[col] = SplineTransformer(n_knots=self.n_knots, degree=3).fit(
                    np.log1p(values.to_numpy(dtype=float))[:, None])
        raw = self._raw(frame)
        self._mean = raw.mean(axis=0)
        self._scale = raw.std(axis=0) + 1e-9
        return self

    def _raw(self, frame: pd.DataFrame) -> np.ndarray:
        parts, groups = [], []
        for col in self.columns_:
            values = frame[col]
            if col in self._levels:
                text = values.astype(str).to_numpy()
                for level in self._levels[col]:
                    parts.append((text == level).astype(float))
                    groups.append(col)
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                number = values.to_numpy(dtype=float)
                parts.append(number)
                groups.append(col)
                if col in self._splines:
                    spline = self._splines[col].transform(np.log1p(np.maximum(number, 0.0))[:, None])
                    parts.extend(spline.T)
                    groups.extend([col] * spline.shape[1])
        self.groups_ = groups
        return np.column_stack(parts) if parts else np.zeros((len(frame), 0))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The standardised basis of ``frame`` (columns as learnt by :meth:`fit`)."""
        return np.asarray((self._raw(frame[self.columns_]) - self._mean) / self._scale)
