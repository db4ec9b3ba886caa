"""The backtest's per-series errors are utilsforecast's MAE, MSE and multi-quantile loss, computed on matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from utilsforecast import losses

from shopops.forecast._metrics import QUANTILES, SCORED_QUANTILES, series_scores


def test_series_scores_equal_utilsforecast_losses():
    rng = np.random.default_rng(7)
    n, h = 40, 28
    actual = rng.poisson(3, (n, h)).astype(float)
    point = actual + rng.normal(0, 2, (n, h))
    quantiles = {name: point + shift for name, shift in zip(QUANTILES, np.linspace(-3, 4, len(QUANTILES)), strict=True)}
    mae_scale, mse_scale = rng.uniform(0.5, 2, n), rng.uniform(0.5, 4, n)
    ours = series_scores(actual, point, quantiles, mae_scale, mse_scale)

    frame = pd.DataFrame({"unique_id": np.repeat(np.arange(n), h), "y": actual.reshape(-1),
                          "yhat": point.reshape(-1), **{k: v.reshape(-1) for k, v in quantiles.items()}})

    def per_series(scores: pd.DataFrame) -> np.ndarray:
        return scores.set_index("unique_id")["yhat"].reindex(np.arange(n)).to_numpy(float)

    np.testing.assert_allclose(ours["mase"], per_series(losses.mae(frame, ["yhat"])) / mae_scale, rtol=1e-12)
    np.testing.assert_allclose(ours["rmsse"], np.sqrt(per_series(losses.mse(frame, ["yhat"])) / mse_scale),
                               rtol=1e-12)
    # Pinball (and WSPL) are scored on M5's levels, not on the 50 % band's q25/q75.
    pinball = losses.mqloss(frame, {"yhat": list(SCORED_QUANTILES)},
                            np.array([QUANTILES[q] for q in SCORED_QUANTILES]))
    np.testing.assert_allclose(ours["pinball"], per_series(pinball) / mae_scale, rtol=1e-12)


def test_wspl_deciles_calibration_and_steady_sellers() -> None:
    from shopops.forecast._backtest import _aggregate
    from shopops.forecast._metrics import calibration_rows, revenue_deciles, steady_zero_median

    actual = np.array([[4.0, 0.0], [10.0, 10.0]])
    point = np.array([[2.0, 2.0], [10.0, 10.0]])
    quant = {q: point.copy() for q in QUANTILES}
    scores = series_scores(actual, point, quant, np.array([2.0, 1.0]), np.array([1.0, 1.0]))
    # Scaled pinball per series = mean over levels of mean over days of the loss / scale; WSPL weighs it.
    levels = np.array([QUANTILES[q] for q in SCORED_QUANTILES])
    first = np.mean([(lv * 2 + (1 - lv) * 2) / 2 for lv in levels]) / 2.0
    assert scores["pinball"][0] == pytest.approx(first) and scores["pinball"][1] == 0.0
    assert _aggregate([scores], np.array([0.25, 0.75]))["wspl"] == pytest.approx(0.25 * first)
    assert list(revenue_deciles(np.arange(20.0))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]
    rows = calibration_rows(actual, point, quant, {"revenue_decile": np.array([1, 10])})
    top = next(r for r in rows if r["group"] == "10")
    assert top["P(y<=q50)"] == 1.0 and top["bias"] == 0.0
    low = next(r for r in rows if r["group"] == "1")
    assert low["P(y<=q50)"] == 0.5 and low["bias"] == pytest.approx(0.0)
    history = np.array([[1.0, 0.0, 2.0, 3.0] * 7, [0.0, 0.0, 0.0, 5.0] * 7])
    # Series 0 sold on 3 of 4 open days: steady; its median 0 on both open days counts against it.
    assert steady_zero_median(history, actual, np.zeros_like(actual), 7) == (1, 1)
    assert steady_zero_median(history, actual, np.ones_like(actual), 7) == (1, 0)
    assert steady_zero_median(history, actual, np.zeros_like(actual), 7, among=np.array([False, True])) == (0, 0)
