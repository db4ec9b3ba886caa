"""Demand forecasting: per-product probabilistic forecasts, backtested (docs/forecast.md)."""

from shopops.forecast._backtest import BacktestResult, backtest
from shopops.forecast._forecaster import (
    ALL_MODELS,
    DEFAULT_MODELS,
    MAX_HORIZON,
    DemandForecaster,
    SamplePaths,
    classify,
)
from shopops.forecast._history import FREQS, LEVELS, ForecastError, Panel, demand_history, revenue_history, to_panel
from shopops.forecast._metrics import QUANTILES
from shopops.forecast._outliers import cap_outliers
from shopops.forecast._report import write_backtest_report
from shopops.forecast._shop import (
    ForecastResult,
    backtest_demand,
    bottom_up,
    fit_forecaster,
    forecast_demand,
    product_history,
)

__all__ = [
    "ALL_MODELS",
    "DEFAULT_MODELS",
    "FREQS",
    "LEVELS",
    "MAX_HORIZON",
    "QUANTILES",
    "BacktestResult",
    "DemandForecaster",
    "ForecastError",
    "ForecastResult",
    "Panel",
    "SamplePaths",
    "backtest",
    "backtest_demand",
    "bottom_up",
    "cap_outliers",
    "classify",
    "demand_history",
    "fit_forecaster",
    "forecast_demand",
    "product_history",
    "revenue_history",
    "to_panel",
    "write_backtest_report",
]
