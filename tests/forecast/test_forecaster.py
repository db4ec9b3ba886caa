"""The forecaster: shapes, quantiles, sample paths, explanations and every bad input of issue #3."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopops.forecast import QUANTILES, DemandForecaster, ForecastError
from shopops.forecast._metrics import naive_scales, series_scores
from tests.forecast.conftest import FAST, toy_history


def test_predict_has_every_series_and_ordered_nonnegative_quantiles(retail_model, retail_demand) -> None:
    out = retail_model.predict(28)
    assert list(out.columns) == ["unique_id", "ds", "yhat", *QUANTILES]
    assert len(out) == retail_demand["unique_id"].nunique() * 28
    assert not out.isna().any().any()
    q = out[list(QUANTILES)].to_numpy()
    assert (np.diff(q, axis=1) >= -1e-9).all() and (q >= 0).all()
    assert out["ds"].min() == retail_demand["ds"].max() + pd.Timedelta(days=1)
    # Online Retail sells nothing on Saturdays: the weekday pattern must show in the forecast.
    saturday = out[out["ds"].dt.dayofweek == 5]["yhat"].sum()
    weekdays = out[out["ds"].dt.dayofweek < 5]["yhat"].sum() / 5
    assert saturday < 0.2 * weekdays


def test_sample_paths_are_seeded_and_match_the_quantiles(retail_model) -> None:
    a = retail_model.sample_paths(28, n_paths=400, seed=1)
    b = retail_model.sample_paths(28, n_paths=400, seed=1)
    assert a.paths.shape == (len(a.ids), 400, 28)
    assert np.array_equal(a.paths, b.paths)
    assert (a.paths >= 0).all()
    pred = retail_model.predict(28)
    q95 = pred["q95"].to_numpy().reshape(len(a.ids), 28)
    share = (a.paths <= q95[:, None, :] + 1e-6).mean()
    assert 0.9 < share <= 1.0
    # The paths' daily 95 % quantiles are the forecast's q95 (same residual pool, same scale). With
    # 400 paths of count data the empirical quantile alone is off by ~17 % (median); 2,000 paths
    # bring sampling noise to ~5 %, so a systematic error shows.
    empirical = np.quantile(retail_model.sample_paths(28, n_paths=2_000, seed=2).paths, 0.95, axis=1)
    big = q95 > 1
    assert np.median(np.abs(empirical[big] / q95[big] - 1)) < 0.15
    lead = a.total(14)
    assert lead.shape == (len(a.ids), 400)
    assert np.allclose(lead.mean(axis=1), a.paths[:, :, :14].mean(axis=1).sum(axis=1), rtol=1e-4)


def test_explanation_names_model_class_and_scores(retail_model) -> None:
    table = retail_model.explain()
    assert {"unique_id", "demand_class", "model", "rmsse_chosen", "why"} <= set(table.columns)
    assert set(table["model"]) <= set(retail_model.candidates_)
    assert table["why"].str.contains("lowest weighted RMSSE").all()
    imp = retail_model.feature_importances_
    assert imp["gain_share"].sum() == pytest.approx(1.0)
    assert imp.iloc[0]["feature"] in {"mean_4w", "mean_13w", "same_weekday_4w", "target_dow", "mean_1w"}


def test_inner_residuals_are_actual_minus_a_nonnegative_forecast(retail_model, retail_demand) -> None:
    residual = retail_model.inner_residuals_
    assert residual.shape[1] == retail_model.inner_days_
    assert set(residual.index) <= set(retail_model.ids_)
    actual = retail_demand.pivot(index="unique_id", columns="ds", values="y").reindex(
        index=residual.index, columns=residual.columns).fillna(0.0)
    forecast = actual - residual
    assert residual.columns[-1] == pd.Timestamp(retail_demand["ds"].max())
    assert (forecast.to_numpy() >= -1e-9).all()
    assert forecast.to_numpy().sum() > 0


def test_selection_picks_the_best_candidate_per_class(retail_model) -> None:
    table = retail_model.choice_.set_index("class")
    names = [c for c in table.columns if c not in ("series", "model")]
    for cls, row in table.iterrows():
        assert row[row["model"]] == pytest.approx(np.nanmin(row[names].to_numpy(dtype=float))), cls


@pytest.mark.parametrize("h", [0, -1, 10_000, 2.5])
def test_bad_horizon_is_a_clear_error(h) -> None:
    with pytest.raises(ForecastError, match="horizon must be a whole number of periods from 1 to 366"):
        DemandForecaster(horizon=h).fit(toy_history({"a": [1] * 40}))


def test_predict_beyond_the_fitted_horizon_says_so(retail_model) -> None:
    with pytest.raises(ForecastError, match="beyond the horizon the forecaster was fitted for"):
        retail_model.predict(29)
    with pytest.raises(ForecastError, match="not fitted"):
        DemandForecaster().predict(3)


def test_too_little_history_is_an_error() -> None:
    with pytest.raises(ForecastError, match="too little history: 5 periods"):
        DemandForecaster(horizon=7).fit(toy_history({"a": [1, 0, 2, 0, 1]}))


def test_all_zero_new_and_outlier_series_get_finite_forecasts() -> None:
    rng = np.random.default_rng(0)
    regular = rng.poisson(3.0, 120).astype(float)
    spiky = regular.copy()
    spiky[100] = 80_995.0  # Online Retail's famous order
    df = pd.concat([
        toy_history({"zero": [0.0] * 120, "regular": list(regular), "spiky": list(spiky)}),
        toy_history({"new": [2.0, 0.0, 3.0]}, start="2024-04-27"),
    ])
    model = DemandForecaster(horizon=14, **FAST).fit(df)
    out = model.predict(14).set_index("unique_id")
    assert not out.isna().any().any()
    assert (out.loc["zero", ["yhat", "q99"]].to_numpy() == 0).all()
    # Capped at 5x the 90th percentile of its sale sizes, the spike cannot dominate the forecast.
    assert out.loc["spiky", "yhat"].max() < 20
    assert 0 < out.loc["new", "yhat"].mean() < 10
    assert dict(zip(model.ids_, model.classes_, strict=True))["new"] == "new"


def test_weekly_frequency_and_too_short_weekly_history() -> None:
    rng = np.random.default_rng(1)
    weeks = pd.date_range("2023-01-02", periods=60, freq="W-MON")
    df = pd.DataFrame({"unique_id": "a", "ds": weeks, "y": rng.poisson(20, 60).astype(float)})
    out = DemandForecaster(horizon=8, freq="W", **FAST).fit(df).predict(8)
    assert (out["ds"].dt.dayofweek == 0).all() and len(out) == 8
    assert 10 < out["yhat"].mean() < 30
    with pytest.raises(ForecastError, match="Monday"):
        DemandForecaster(horizon=4, freq="W").fit(df.assign(ds=df["ds"] + pd.Timedelta(days=1)))


def test_stockout_days_are_imputed_up() -> None:
    values = [4.0] * 60
    df = toy_history({"a": values})
    df.loc[40:59, "y"] = 0.0  # sold out for the last 20 days: sales say nothing about demand
    plain = DemandForecaster(horizon=7, selection="ma", **FAST).fit(df).predict(7)["yhat"].mean()
    flagged = DemandForecaster(horizon=7, selection="ma", **FAST).fit(
        df.assign(censored=df.index >= 40)).predict(7)["yhat"].mean()
    assert plain < 2.5 and flagged == pytest.approx(4.0, rel=0.05)


def test_unknown_model_engine_and_selection_are_errors() -> None:
    df = toy_history({"a": [1.0] * 40})
    with pytest.raises(ForecastError, match="unknown models"):
        DemandForecaster(models=["prophet"]).fit(df)
    with pytest.raises(ForecastError, match="engine must be local or spark"):
        DemandForecaster(engine="dask").fit(df)
    with pytest.raises(ForecastError, match="selection must be class or one of"):
        DemandForecaster(horizon=7, selection="best", **FAST).fit(df)


def test_scores_match_hand_computed_values() -> None:
    history = np.array([[np.nan, 0.0, 2.0, 0.0, 2.0]])  # one-step changes after the first sale: 2, 2
    mae, mse = naive_scales(history)
    assert mae.tolist() == [2.0] and mse.tolist() == [4.0]
    actual = np.array([[1.0, 3.0]])
    point = np.array([[2.0, 2.0]])
    quant = {name: np.full((1, 2), 2.0) for name in QUANTILES}
    s = series_scores(actual, point, quant, mae, mse)
    assert s["mase"].tolist() == [0.5]
    assert s["rmsse"].tolist() == [pytest.approx(0.5)]
    assert s["cover95"].tolist() == [0.5]
    expected_pinball = np.mean([(lv * 1 + (1 - lv) * 1) / 2 for lv in QUANTILES.values()]) / 2.0
    assert s["pinball"].tolist() == [pytest.approx(expected_pinball)]


def test_autoets_and_autotheta_are_optional_candidates() -> None:
    rng = np.random.default_rng(2)
    weekly = np.tile([5.0, 6.0, 7.0, 6.0, 8.0, 0.0, 2.0], 12) + rng.poisson(1.0, 84)
    df = toy_history({"a": list(weekly), "b": list(weekly[::-1])})
    model = DemandForecaster(horizon=14, models=["ets", "theta", "ma"]).fit(df)
    out = model.predict(14)
    assert {"ets", "theta", "ma"} <= set(model.candidates_)
    # The seasonal models keep the weekly shape: the Saturday slot (index 5) is the low one.
    ets = model.candidates_["ets"][0, :7]
    assert ets.argmin() in (5, 6) and not out.isna().any().any()


def test_dormant_series_do_not_give_other_series_heavy_tails() -> None:
    """A series that sold nothing in the level window has a near-zero scale, so a later sale is a
    scaled residual in the hundreds. Such residuals once filled the shared pool that small classes
    fall back to, and steady sellers got sample paths averaging 12x their forecast."""
    rng = np.random.default_rng(0)
    days = 200
    series: dict[str, list[float]] = {}
    for i in range(40):  # sold early, then nothing for months, then one sale near the end
        v = np.zeros(days)
        v[:40] = rng.poisson(2, 40)
        v[days - 10] = 5
        series[f"dormant{i}"] = v.tolist()
    for i in range(5):  # steady sellers: too few for a pool of their own
        series[f"steady{i}"] = rng.poisson(20, days).astype(float).tolist()
    model = DemandForecaster(horizon=28, **FAST).fit(toy_history(series))
    paths = model.sample_paths(28, n_paths=500, seed=0)
    point = model.predict(28).groupby("unique_id")["yhat"].sum().reindex(paths.ids).to_numpy()
    ratio = paths.paths.sum(axis=2).mean(axis=1) / point
    steady = np.char.startswith(paths.ids.astype(str), "steady")
    assert np.all(np.abs(ratio[steady] - 1) < 0.1), ratio[steady]


def test_one_outlier_cap_serves_the_forecaster_and_the_planner() -> None:
    from shopops.forecast import cap_outliers
    from shopops.inventory import cap_outliers as planner_cap

    values = np.array([[2.0] * 9 + [100.0], [5.0, 500.0] + [0.0] * 8])
    # The planner's: 10x the lower 90th percentile of selling days (2), products with 3+ selling days.
    capped, cut = planner_cap(values)
    assert capped[0, -1] == 20.0 and cut.sum() == 1 and capped[1, 1] == 500.0
    # The forecaster's: 5x the 90th percentile (2 + 0.1 * 98 = 11.8); the two-sale series takes the
    # pooled percentile of all 12 sale sizes (5 + 0.9 * 95 = 90.5).
    capped, cut = cap_outliers(values, 5.0, min_sales=5, pooled=True, floor=10.0)
    assert capped[0, -1] == pytest.approx(59.0) and capped[1, 1] == pytest.approx(452.5)
    assert cut.sum() == 2 and capped[1, 0] == 5.0
    # Never below the floor: small sales are not bulk orders.
    assert cap_outliers(np.array([[1.0] * 9 + [9.0]]), 5.0, min_sales=5, floor=10.0)[0][0, -1] == 9.0
