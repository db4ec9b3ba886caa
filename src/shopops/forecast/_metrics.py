"""Accuracy measures of a forecast against what happened (M5 definitions, docs/forecast.md)."""

from __future__ import annotations

import numpy as np

__all__ = ["QUANTILES", "naive_scales", "series_scores"]

#: Quantile levels of every forecast, and the column names they get.
QUANTILES = {"q05": 0.05, "q50": 0.50, "q80": 0.80, "q90": 0.90, "q95": 0.95, "q99": 0.99}


def naive_scales(history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean absolute and mean squared one-step change of each series from its first sale (M5 scales).

    ``history`` is (n_series, n_periods) with NaN before a series starts. Series without two observed
    periods after their first sale get NaN (they cannot be scaled and are left out of the scores).

    Not utilsforecast's scales (the naive error inside ``losses.mase``/``losses.rmsse``): those run over
    the whole training frame, leading zeros before the first sale included, and divide by a zero scale
    instead of leaving the series out; the forecaster also needs these scales on matrices at every fit.
    """
    filled = np.nan_to_num(history)
    started = np.maximum.accumulate(filled > 0, axis=1)
    diff = np.diff(filled, axis=1)
    valid = started[:, :-1]
    count = valid.sum(axis=1)
    mae = np.where(count > 0, (np.abs(diff) * valid).sum(axis=1) / np.maximum(count, 1), np.nan)
    mse = np.where(count > 0, (diff ** 2 * valid).sum(axis=1) / np.maximum(count, 1), np.nan)
    mae[mae == 0] = np.nan
    mse[mse == 0] = np.nan
    return mae, mse


def series_scores(actual: np.ndarray, point: np.ndarray, quantiles: dict[str, np.ndarray] | None,
                  mae_scale: np.ndarray, mse_scale: np.ndarray) -> dict[str, np.ndarray]:
    """Per-series scores of one forecast: arrays (n_series,) by measure name.

    ``actual`` and ``point`` are (n_series, h); ``quantiles`` maps column names of :data:`QUANTILES` to
    (n_series, h) arrays. Pinball loss is averaged over the quantile levels and scaled like MASE.

    The errors are utilsforecast's ``mae``, ``mse`` and ``mqloss`` (a test checks them equal), computed
    on the (series x horizon) matrices directly: the backtest scores every candidate model at every
    origin, and utilsforecast's long-frame group-bys take 0.30 s per call on 3,900 series x 28 days
    where these take 3 ms, for the same numbers.
    """
    err = point - actual
    out = {
        "mase": np.abs(err).mean(axis=1) / mae_scale,
        "rmsse": np.sqrt((err ** 2).mean(axis=1) / mse_scale),
        # Sums, not utilsforecast's per-series mean bias: the overall bias pools errors over every series.
        "error_sum": err.sum(axis=1),
        "actual_sum": actual.sum(axis=1),
    }
    if quantiles:
        losses = []
        for name, level in QUANTILES.items():
            diff = actual - quantiles[name]
            losses.append(np.maximum(level * diff, (level - 1) * diff).mean(axis=1))
        out["pinball"] = np.mean(losses, axis=0) / mae_scale
        # Our coverage: utilsforecast's is two-sided only (no y <= q80) and has no tolerance, so a
        # quantile that equals y up to rounding (naive forecasts of whole units) counts as a miss.
        out["cover80"] = (actual <= quantiles["q80"] + 1e-9).mean(axis=1)
        out["cover95"] = (actual <= quantiles["q95"] + 1e-9).mean(axis=1)
        out["cover_05_95"] = ((actual >= quantiles["q05"] - 1e-9) & (actual <= quantiles["q95"] + 1e-9)).mean(axis=1)
    return out
