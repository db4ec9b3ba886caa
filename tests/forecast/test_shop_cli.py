"""Shop.forecast / Shop.backtest and the `shopops forecast` / `shopops backtest` commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import shopops.forecast
from shopops.cli import app
from shopops.forecast import QUANTILES, ForecastError

runner = CliRunner()
COLUMNS = ["unique_id", "ds", "yhat", *QUANTILES]


def test_public_api_is_what_we_say() -> None:
    assert sorted(shopops.forecast.__all__) == sorted([
        "ALL_MODELS", "DEFAULT_MODELS", "FREQS", "LEVELS", "MAX_HORIZON", "QUANTILES", "BacktestResult", "DemandForecaster",
        "ForecastError", "ForecastResult", "Panel", "SamplePaths", "backtest", "backtest_demand", "bottom_up", "cap_outliers", "classify", "demand_history",
        "fit_forecaster", "forecast_demand", "product_history", "revenue_history", "to_panel", "write_backtest_report",
    ])
    for name in shopops.forecast.__all__:
        assert getattr(shopops.forecast, name) is not None


@pytest.fixture(scope="module")
def sim_forecast(sim_shop) -> pd.DataFrame:
    return sim_shop.forecast(horizon=14, until="2024-06-30").frame


def test_shop_forecast_uses_history_until(sim_shop, sim_forecast) -> None:
    assert list(sim_forecast.columns) == COLUMNS
    assert sim_forecast["ds"].min() == pd.Timestamp("2024-07-01")
    assert sim_forecast["ds"].nunique() == 14
    assert not sim_forecast.isna().any().any()
    sold = sim_shop.demand(until="2024-06-30")["unique_id"].nunique()
    assert sim_forecast["unique_id"].nunique() == sold


def test_category_and_total_are_sums_of_products(sim_shop, sim_forecast) -> None:
    categories = sim_shop.forecast(horizon=14, level="category", until="2024-06-30").frame
    total = sim_shop.forecast(horizon=14, level="total", until="2024-06-30").frame
    assert list(categories.columns) == COLUMNS
    assert set(total["unique_id"]) == {"total"}
    by_day = sim_forecast.groupby("ds")["yhat"].sum().to_numpy()
    assert np.allclose(categories.groupby("ds")["yhat"].sum().to_numpy(), by_day)
    assert np.allclose(total["yhat"].to_numpy(), by_day)
    # Quantiles of a sum come from summed sample paths: q95 of the total exceeds its mean.
    assert (total["q95"] > total["yhat"]).all()


def test_stockouts_reach_the_forecaster(sim_shop) -> None:
    from shopops.forecast._shop import product_history

    frame, weights = product_history(sim_shop, until="2024-06-30")
    assert frame["censored"].any()  # the simulated shop runs out of stock
    assert weights.sum() > 0
    truth = sim_shop.sql("SELECT CAST(product_id AS VARCHAR) AS unique_id, CAST(date AS TIMESTAMP) AS ds, "
                         "demand FROM fact_demand_truth")
    both = frame.merge(truth, on=["unique_id", "ds"])
    short = both["demand"] > both["y"]
    # Sales fall short of the true demand on stock-out days, and (almost) only on those: why they are flagged.
    assert short[both["censored"]].mean() > 0.2
    assert short[~both["censored"]].mean() < 0.02


def test_cli_forecast_writes_csv_and_parquet(sim_shop, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["forecast", "--data", str(sim_shop.data_dir), "--horizon", "7", "--until",
                                 "2024-06-30", "--level", "total", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == COLUMNS and len(frame) == 7
    pq = tmp_path / "f.parquet"
    result = runner.invoke(app, ["forecast", "--data", str(sim_shop.data_dir), "--horizon", "3", "--freq", "W",
                                 "--out", str(pq)])
    assert result.exit_code == 0, result.output
    weekly = pd.read_parquet(pq)
    assert (pd.to_datetime(weekly["ds"]).dt.dayofweek == 0).all()


@pytest.mark.parametrize(("args", "message"), [
    (["--horizon", "0"], "horizon must be a whole number"),
    (["--horizon", "10000"], "from 1 to 366"),
    (["--level", "brand"], "level must be one of product, category, total"),
    (["--freq", "M"], "freq must be D"),
    (["--until", "1990-01-01"], "no product sales"),
])
def test_cli_forecast_bad_input_exits_2_and_writes_nothing(sim_shop, tmp_path: Path, args, message) -> None:
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["forecast", "--data", str(sim_shop.data_dir), "--out", str(out), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_cli_forecast_bad_output_fails_before_fitting(sim_shop, tmp_path: Path) -> None:
    result = runner.invoke(app, ["forecast", "--data", str(sim_shop.data_dir), "--out", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 2 and "write .parquet or .csv" in " ".join(result.output.split())
    result = runner.invoke(app, ["forecast", "--data", str(sim_shop.data_dir), "--out",
                                 str(tmp_path / "missing" / "f.csv")])
    assert result.exit_code == 2 and "does not exist" in " ".join(result.output.split())


def test_cli_backtest_prints_scores_and_writes_report(sim_shop, tmp_path: Path) -> None:
    report = tmp_path / "bt.html"
    product = sim_shop.top_products(1)["product_id"].iloc[0]
    result = runner.invoke(app, ["backtest", "--data", str(sim_shop.data_dir), "--horizon", "14", "--origins", "2",
                                 "--report", str(report), "--series", product], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for word in ("wrmsse", "rmsse", "mase", "bias", "pinball", "cover80", "cover95", "auto", "snaive"):
        assert word in result.output
    html = report.read_text()
    assert "data:image/png;base64," in html and "Model chosen per demand class" in html
    assert f"<h3>{product}</h3>" in html
    result = runner.invoke(app, ["backtest", "--data", str(sim_shop.data_dir), "--horizon", "14", "--origins", "2",
                                 "--report", str(tmp_path / "x.html"), "--series", "NO-SUCH"])
    assert result.exit_code == 2 and "'NO-SUCH' is not in the backtest" in result.output


def test_shop_backtest_scores_every_model_and_origin(sim_shop) -> None:
    result = sim_shop.backtest(horizon=7, origins=2, until="2024-06-30")
    assert set(result.by_origin["origin"]) == {pd.Timestamp("2024-06-16"), pd.Timestamp("2024-06-23")}
    assert {"auto", "snaive", "naive", "ma", "sba", "tsb", "adida", "imapa", "lgbm"} <= set(result.summary["model"])
    auto = result.summary.set_index("model").loc["auto"]
    assert 0 < auto["wrmsse"] < 3 and 0 <= auto["cover95"] <= 1
    assert result.summary["wrmsse"].is_monotonic_increasing
    with pytest.raises(ForecastError, match="need more than"):
        sim_shop.backtest(horizon=100, origins=3)


def test_discontinued_products_are_forecast_zero(sim_shop) -> None:
    stopped = sim_shop.sql("SELECT CAST(product_id AS VARCHAR) AS unique_id FROM dim_product "
                           "WHERE discontinued_at IS NOT NULL AND discontinued_at <= DATE '2024-06-30'")["unique_id"]
    model = sim_shop.forecaster(horizon=7, until="2024-06-30")
    out = model.predict(7)
    gone = out[out["unique_id"].isin(stopped)]
    assert gone["unique_id"].nunique() >= 1
    assert (gone[["yhat", "q95", "q99"]].to_numpy() == 0).all()
    assert (out[~out["unique_id"].isin(stopped)]["q99"] > 0).any()
    paths = model.sample_paths(7, n_paths=20)
    assert (paths.paths[np.isin(paths.ids, stopped)] == 0).all()


def test_forecast_and_backtest_are_results_that_explain_themselves(sim_shop) -> None:
    import json

    from shopops.forecast import BacktestResult, ForecastResult
    from shopops.result import Result

    result = sim_shop.forecast(horizon=7, until="2024-06-30")
    assert isinstance(result, ForecastResult) and isinstance(result, Result) and result.capability == "forecast"
    assert result.params["horizon"] == 7 and result.params["level"] == "product"
    chosen = result.choice.set_index("class")
    # The metrics are the chosen model's inner-backtest scores, class by class.
    for cls, row in chosen.iterrows():
        assert result.metrics[f"inner_rmsse_{cls}"] == row[row["model"]]
    text = result.explain()
    assert all(model in text for model in chosen["model"]) and "inner-backtest" in text
    assert json.loads(result.to_json())["frames"] == {"frame": len(result.frame), "choice": len(result.choice)}
    backtest = sim_shop.backtest(horizon=7, origins=2, until="2024-06-30")
    assert isinstance(backtest, BacktestResult)
    auto = backtest.summary.set_index("model").loc["auto"]
    assert backtest.metrics["wrmsse"] == auto["wrmsse"] and backtest.params["origins"] == 2
    assert "auto: WRMSSE" in backtest.explain()
