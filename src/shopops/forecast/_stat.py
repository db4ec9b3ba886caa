"""Per-series models: baselines in NumPy and statsforecast's intermittent-demand models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SLOW_MODELS", "STAT_MODELS", "stat_forecasts", "stat_forecasts_frame"]

#: Per-series models by name; each maps one series (no NaN) and a horizon to ``h`` point forecasts.
STAT_MODELS = ("naive", "snaive", "ma", "sba", "tsb", "adida", "imapa")
#: Also available, not fitted by default: statsforecast's AutoETS and AutoTheta cost ~0.3 s a series.
SLOW_MODELS = ("ets", "theta")


def _naive(y: np.ndarray, h: int, season: int) -> np.ndarray:
    return np.full(h, y[-1])


def _snaive(y: np.ndarray, h: int, season: int) -> np.ndarray:
    if len(y) < season:
        return np.full(h, y.mean())
    return np.resize(y[-season:], h)


def _moving_average(y: np.ndarray, h: int, season: int) -> np.ndarray:
    return np.full(h, y[-4 * season:].mean())


def _statsforecast(model: Any) -> Callable[[np.ndarray, int, int], np.ndarray]:
    def run(y: np.ndarray, h: int, season: int) -> np.ndarray:
        sales = int((y > 0).sum())
        if sales < 2:  # no interval between sales to estimate: Croston-type models echo the one sale
            return np.full(h, y.mean())
        mean = np.asarray(model.forecast(y=y, h=h)["mean"], dtype=float)
        return np.asarray(np.where(np.isfinite(mean), np.maximum(mean, 0.0), y.mean()))
    return run


def _seasonal(model_class: Any) -> Callable[[np.ndarray, int, int], np.ndarray]:
    def run(y: np.ndarray, h: int, season: int) -> np.ndarray:
        if len(y) < 2 * season + 2 or not (y > 0).any():  # too short to fit a seasonal model
            return np.full(h, y.mean())
        try:
            mean = np.asarray(model_class(season_length=season).forecast(y=y, h=h)["mean"], dtype=float)
        except Exception:  # statsforecast gives up on degenerate series: fall back to the mean
            return np.full(h, y.mean())
        return np.asarray(np.where(np.isfinite(mean), np.maximum(mean, 0.0), y.mean()))
    return run


def _runners() -> dict[str, Callable[[np.ndarray, int, int], np.ndarray]]:
    # Imported here: statsforecast takes seconds to import (numba), only pay it when fitting.
    from statsforecast.models import ADIDA, IMAPA, TSB, AutoETS, AutoTheta, CrostonSBA

    return {
        "naive": _naive,
        "snaive": _snaive,
        "ma": _moving_average,
        "sba": _statsforecast(CrostonSBA()),
        "tsb": _statsforecast(TSB(alpha_d=0.1, alpha_p=0.1)),
        "adida": _statsforecast(ADIDA()),
        "imapa": _statsforecast(IMAPA()),
        "ets": _seasonal(AutoETS),
        "theta": _seasonal(AutoTheta),
    }


def stat_forecasts(series: Sequence[np.ndarray], h: int, season: int,
                   models: Sequence[str] = STAT_MODELS) -> dict[str, np.ndarray]:
    """Point forecasts ``(len(series), h)`` of each model for each series (observed values only)."""
    runners = _runners()
    out = {name: np.zeros((len(series), h)) for name in models}
    for i, y in enumerate(series):
        if len(y) == 0:
            continue
        for name in models:
            out[name][i] = runners[name](y, h, season)
    return out


def stat_forecasts_frame(df: pd.DataFrame, h: int, season: int, models: Sequence[str]) -> pd.DataFrame:
    """The same forecasts for a long ``unique_id, ds, y`` frame, as ``unique_id, step`` + one column a model.

    The rows of one series must be complete and in date order (Spark's ``applyInPandas`` calls this per
    group of series, so local and Spark runs go through the same code).
    """
    ordered = df.sort_values(["unique_id", "ds"])
    ids, starts = np.unique(ordered["unique_id"].to_numpy(), return_index=True)
    values = ordered["y"].to_numpy(dtype=float)
    bounds = [*starts.tolist(), len(values)]
    series = [values[bounds[k]:bounds[k + 1]] for k in range(len(ids))]
    forecasts = stat_forecasts(series, h, season, models)
    frame = pd.DataFrame({"unique_id": np.repeat(ids, h), "step": np.tile(np.arange(1, h + 1), len(ids))})
    for name in models:
        frame[name] = forecasts[name].reshape(-1)
    return frame
