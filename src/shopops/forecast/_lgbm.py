"""The global LightGBM model: one model for every series, direct multi-step (the step is a feature)."""

from __future__ import annotations

from typing import Any

import numpy as np

from shopops.forecast._features import FEATURES, Features, holidays, origin_features

__all__ = ["DEFAULT_LGBM_PARAMS", "GlobalLGBM"]

#: Tweedie suits zero-inflated, right-skewed counts; a few hundred shallow trees are enough (M5).
DEFAULT_LGBM_PARAMS: dict[str, Any] = {
    "objective": "tweedie", "tweedie_variance_power": 1.2, "n_estimators": 250, "learning_rate": 0.05,
    "num_leaves": 31, "max_bin": 63, "min_child_samples": 100, "subsample": 0.8, "subsample_freq": 1,
    "colsample_bytree": 0.8, "verbose": -1,
}
_MAX_ROWS = 300_000  # training rows; more adds time, not accuracy (measured on Online Retail)


class GlobalLGBM:
    """Fit on several past origins of every series, predict ``h`` steps from the last period."""

    def __init__(self, params: dict[str, Any] | None = None, n_origins: int = 8, n_jobs: int = 2,
                 seed: int = 0) -> None:
        self.params = {**DEFAULT_LGBM_PARAMS, **(params or {})}
        self.n_origins = n_origins
        self.n_jobs = n_jobs
        self.seed = seed

    @staticmethod
    def can_fit(n_periods: int, h: int, season: int) -> bool:
        """Whether the history holds at least two training origins with ``h`` known targets."""
        return n_periods - 1 - h - season >= 2 * season

    def fit(self, feat: Features, last: int, h: int) -> GlobalLGBM:
        """Train on origins up to ``last - h`` (targets up to period ``last``)."""
        import lightgbm

        s = feat.season
        rng = np.random.default_rng(self.seed)
        self.holidays_ = holidays(range(feat.dates[0].year, feat.dates[-1].year + 2))
        origins = [last - h - s * j for j in range(self.n_origins) if last - h - s * j >= 2 * s]
        per_origin = max(_MAX_ROWS // max(len(origins), 1) // h, 1)
        blocks, targets = [], []
        for t in origins:
            rows = np.flatnonzero(feat.start <= t)
            if len(rows) > per_origin:
                rows = np.sort(rng.choice(rows, per_origin, replace=False))
            blocks.append(origin_features(feat, t, h, rows, self.holidays_))
            targets.append(np.nan_to_num(feat.values[rows, t + 1:t + h + 1]).reshape(-1))
        self.model_ = lightgbm.LGBMRegressor(**self.params, n_jobs=self.n_jobs, random_state=self.seed,
                                             deterministic=True, force_row_wise=True)
        self.model_.fit(np.vstack(blocks), np.concatenate(targets), feature_name=list(FEATURES))
        self.h_ = h
        return self

    def predict(self, feat: Features, t: int, rows: np.ndarray) -> np.ndarray:
        """Forecasts ``(len(rows), h)`` from origin ``t``."""
        if len(rows) == 0:
            return np.zeros((0, self.h_))
        pred = self.model_.booster_.predict(origin_features(feat, t, self.h_, rows, self.holidays_))
        return np.asarray(np.maximum(np.asarray(pred, dtype=float).reshape(len(rows), self.h_), 0.0))

    def importances(self) -> dict[str, float]:
        """Share of the total split gain by feature."""
        gain = self.model_.booster_.feature_importance(importance_type="gain")
        total = float(gain.sum()) or 1.0
        return {name: float(g) / total for name, g in zip(FEATURES, gain, strict=True)}
