"""The predictive distribution: medians where the revenue is, ordered quantiles, paths that keep both."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shopops.forecast import QUANTILES, DemandForecaster
from shopops.forecast._distribution import (
    calibrate,
    hurdle_cdf,
    hurdle_quantiles,
    sample_paths,
    size_dispersion,
    volume_band,
    zero_share,
)
from tests.forecast.conftest import FAST, toy_history


def test_median_is_zero_exactly_where_zero_has_half_the_mass() -> None:
    rng = np.random.default_rng(0)
    mean = rng.gamma(0.5, 20, 5_000)
    zero = rng.uniform(0, 0.9, 5_000)
    phi = rng.choice([1e-3, 0.1, 1.0, 5.0], 5_000)
    q = hurdle_quantiles(mean, zero, phi, tuple(QUANTILES.values()))
    p0 = hurdle_cdf(np.zeros_like(mean), mean, zero, phi)
    median = q[list(QUANTILES).index("q50")]
    assert np.array_equal(median == 0, p0 >= 0.5)
    assert (np.diff(q, axis=0) >= 0).all() and (q >= 0).all()
    # Every quantile is the smallest count whose CDF reaches its level.
    for j, level in enumerate(QUANTILES.values()):
        assert (hurdle_cdf(q[j], mean, zero, phi) >= level - 1e-9).all()
        assert (hurdle_cdf(q[j] - 1, mean, zero, phi) < level + 1e-9).all()


def test_without_zeros_and_dispersion_it_is_one_plus_poisson() -> None:
    mean = np.array([5.0, 40.0])
    q = hurdle_quantiles(mean, np.zeros(2), np.full(2, 1e-9), (0.5, 0.9))
    assert np.array_equal(q[:, 0], 1 + stats.poisson.ppf([0.5, 0.9], 4.0))
    assert np.array_equal(q[:, 1], 1 + stats.poisson.ppf([0.5, 0.9], 39.0))


def test_sample_paths_keep_the_mean_and_the_quantiles() -> None:
    rng = np.random.default_rng(1)
    mean = np.array([[262.0] * 5, [0.3] * 5, [4.0, 0.0, 4.0, 8.0, 1.0]])
    zero, phi = np.array([0.02, 0.8, 0.3]), np.array([0.2, 1.0, 0.5])
    paths = sample_paths(mean, zero, phi, 0.5, 40_000, rng)
    assert paths.shape == (3, 40_000, 5)
    live = mean > 0
    assert np.allclose(paths.mean(axis=1)[live], mean[live], rtol=0.03)
    # A mean of 0.3 a day cannot have P(0) of 0.8 and sell whole units: P(0) = 0.8, the mean kept.
    assert (paths[1] == 0).mean() == pytest.approx(0.8, abs=0.01)
    q = hurdle_quantiles(mean, zero[:, None], phi[:, None], (0.5, 0.9))
    empirical = np.quantile(paths, [0.5, 0.9], axis=1, method="inverted_cdf")
    assert np.abs(empirical - q).max() <= 0.02 * q.max() + 1
    # Days of one path share part of their rate: lead-time totals vary more than independent days would.
    shuffled = np.stack([paths[0][rng.permutation(40_000), k] for k in range(5)], axis=1)
    assert paths[0].sum(axis=1).var() > 1.5 * shuffled.sum(axis=1).var()


def test_zero_share_counts_open_days_only() -> None:
    # Column 5 is a day the shop did not open (no series sold): it counts for nobody.
    values = np.array([[3, 2, 0, 4, 5, 0, 2], [0, 0, 1, 0, 0, 0, 0], [np.nan, np.nan, np.nan, np.nan, 1, 0, 1]],
                      dtype=float)
    share = zero_share(values, 6, 7, 7)
    assert share[0] == pytest.approx((1 + 0.5) / (6 + 1))
    assert share[1] == pytest.approx((5 + 0.5) / (6 + 1))
    assert share[2] == pytest.approx((0 + 0.5) / (2 + 1))  # launched late: only its own days
    assert np.array_equal(volume_band(np.array([0.0, 0.5, 3.0, 300.0]), 7), [0, 1, 2, 4])


def test_calibration_finds_the_dispersion_of_negative_binomial_data() -> None:
    rng = np.random.default_rng(2)
    mean = np.repeat(rng.uniform(5, 50, 300)[:, None], 28, axis=1)
    r = 1 / 0.4
    actual = rng.negative_binomial(r, r / (r + mean)).astype(float)
    zero = (actual == 0).mean(axis=1)
    cal = calibrate(actual, mean, zero, np.ones(300), np.array(["smooth"] * 300), volume_band(mean[:, 0], 7))
    row = cal.table[(cal.table["class"] == "*") & (cal.table["band"] == -1)].iloc[0]
    assert row["cover50"] == pytest.approx(0.5, abs=0.06) and row["cover90"] == pytest.approx(0.9, abs=0.03)
    assert 0.15 < row["scale"] < 0.8
    assert cal.correlation < 0.1  # independent days


def test_own_dispersion_separates_steady_from_lumpy_sizes_and_shrinks_few_sales() -> None:
    rng = np.random.default_rng(4)
    steady = rng.poisson(20, 91).astype(float)
    lumpy = np.where(rng.random(91) < 0.5, 1.0, 60.0)
    few = np.zeros(91)
    few[[10, 50]] = [1.0, 300.0]
    own = size_dispersion(np.vstack([steady, lumpy, few]), 90, 91)
    assert own[0] < 0.05 < 0.5 < own[1]
    # Two sales: not enough for its own estimate, so it is the catalogue's (median of the others).
    assert min(own[0], own[1]) < own[2] < max(own[0], own[1])


def _shop_of_cases(days: int = 240) -> DemandForecaster:
    """The bad inputs beside a background catalogue: one huge day, a best seller, a stop, a launch."""
    rng = np.random.default_rng(3)
    series: dict[str, list[float]] = {}
    for i in range(30):
        series[f"bg{i}"] = rng.poisson(rng.uniform(0.2, 15), days).astype(float).tolist()
    huge = rng.poisson(60, days).astype(float)
    huge[days - 40] = 20_000.0  # one wholesale order
    series["huge_day"] = huge.tolist()
    series["steady"] = rng.poisson(262, days).astype(float).tolist()
    stopped = rng.poisson(30, days).astype(float)
    stopped[days - 60:] = 0.0
    series["stopped"] = stopped.tolist()
    launch = str(np.datetime64("2024-01-01") + days - 7)
    launched = toy_history({"launched": rng.poisson(12, 7).astype(float).tolist()}, start=launch)
    return DemandForecaster(horizon=28, **FAST).fit(pd.concat([toy_history(series), launched], ignore_index=True))


@pytest.fixture(scope="module")
def cases() -> DemandForecaster:
    return _shop_of_cases()


def test_steady_seller_has_its_typical_day_as_median(cases: DemandForecaster) -> None:
    out = cases.predict(28).set_index("unique_id")
    steady = out.loc["steady"]
    assert (steady["q50"] > 150).all() and steady["yhat"].mean() == pytest.approx(262, rel=0.15)
    assert (steady["q05"] < steady["q50"]).all() and (steady["q50"] < steady["q95"]).all()


def test_one_huge_day_does_not_become_the_forecast_or_zero_the_median(cases: DemandForecaster) -> None:
    out = cases.predict(28).set_index("unique_id").loc["huge_day"]
    assert out["yhat"].mean() < 2 * 60 and (out["q50"] > 20).all()
    assert np.isfinite(out["q99"]).all() and out["q99"].max() < 1_000


def test_series_that_stopped_selling_has_zero_median(cases: DemandForecaster) -> None:
    out = cases.predict(28).set_index("unique_id").loc["stopped"]
    assert (out["q50"] == 0).all() and out["yhat"].mean() < 5


def test_product_launched_a_week_ago_gets_a_selling_median(cases: DemandForecaster) -> None:
    out = cases.predict(28).set_index("unique_id").loc["launched"]
    assert not out.isna().any().any()
    assert out["yhat"].mean() > 3 and (out["q50"] > 0).mean() > 0.5 and (out["q95"] < 200).all()
    assert cases.explain().set_index("unique_id").loc["launched", "demand_class"] == "new"


def test_paths_of_the_forecaster_average_to_its_forecast(cases: DemandForecaster) -> None:
    paths = cases.sample_paths(28, n_paths=2_000, seed=0)
    point = cases.predict(28)["yhat"].to_numpy().reshape(len(paths.ids), 28)
    big = point.sum(axis=1) > 28
    ratio = paths.paths.sum(axis=2).mean(axis=1)[big] / point.sum(axis=1)[big]
    assert np.abs(ratio - 1).max() < 0.05, ratio


def test_importing_the_forecast_package_does_not_load_matplotlib() -> None:
    code = "import sys, shopops.forecast; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
