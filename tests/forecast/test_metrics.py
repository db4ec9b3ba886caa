"""The backtest's per-series errors are utilsforecast's MAE, MSE and multi-quantile loss, computed on matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
from utilsforecast import losses

from shopops.forecast._metrics import QUANTILES, series_scores


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
    pinball = losses.mqloss(frame, {"yhat": list(QUANTILES)}, np.array(list(QUANTILES.values())))
    np.testing.assert_allclose(ours["pinball"], per_series(pinball) / mae_scale, rtol=1e-12)
