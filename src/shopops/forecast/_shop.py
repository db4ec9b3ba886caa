"""What ``Shop.forecast`` and ``Shop.backtest`` do: read the warehouse, fit, reconcile the hierarchy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from shopops.forecast._backtest import BacktestResult, backtest
from shopops.forecast._forecaster import DEFAULT_MODELS, DemandForecaster
from shopops.forecast._history import (
    check_freq,
    check_level,
    demand_history,
    revenue_history,
    stockout_days,
)
from shopops.forecast._metrics import QUANTILES
from shopops.result import Result

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = ["ForecastResult", "backtest_demand", "bottom_up", "fit_forecaster", "forecast_demand", "product_history"]


@dataclass(kw_only=True)
class ForecastResult(Result):
    """Demand forecasts with the fitted forecaster and the model it chose per demand class.

    Attributes
    ----------
    frame : DataFrame
        ``unique_id, ds, yhat, q05, q25, q50, q75, q80, q90, q95, q99`` at the requested level.
    forecaster : DemandForecaster
        The fitted product forecaster (``sample_paths``, ``explain``, ``feature_importances_``).
    choice : DataFrame
        Per demand class: series, each candidate's weighted RMSSE in the inner backtest, the chosen ``model``.
    metrics : dict
        The chosen model's inner-backtest weighted RMSSE per demand class (``inner_rmsse_<class>``).
    """

    capability: ClassVar[str] = "forecast"
    frame: pd.DataFrame
    forecaster: DemandForecaster
    choice: pd.DataFrame

    def explain(self) -> str:
        """The level and horizon, the model chosen per class with its inner-backtest RMSSE, the top features."""
        lines = [f"forecast: {self.model}",
                 f"{self.frame['unique_id'].nunique():,} series x {self.frame['ds'].nunique()} periods; "
                 + ", ".join(f"{k}={v}" for k, v in self.params.items())]
        for row in self.choice.to_dict("records"):
            lines.append(f"  {row['class']} ({row['series']:,} series): {row['model']}, inner-backtest weighted "
                         f"RMSSE {row[row['model']]:.4f}")
        importances = self.forecaster.feature_importances_
        if not importances.empty:
            lines.append("LightGBM features: " + ", ".join(
                f"{f} {g:.2f}" for f, g in importances.head(5).itertuples(index=False)))
        return "\n".join(lines)


def product_history(reader: Reader, freq: str = "D", until: str | date | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Product demand with ``price`` (mean selling price) and ``censored`` (stock-out) columns, and weights.

    The weights are each product's revenue over the last 28 days (what WRMSSE weighs by).
    """
    demand = demand_history(reader, "product", freq, until)
    revenue = revenue_history(reader, "product", freq, until)
    frame = demand.merge(revenue.rename(columns={"y": "revenue"}), on=["unique_id", "ds"], how="left")
    frame["price"] = np.where(frame["y"] > 0, frame["revenue"] / frame["y"].where(frame["y"] > 0), np.nan)
    if freq == "D":
        out = stockout_days(reader, until).assign(censored=True)
        frame = frame.merge(out, on=["unique_id", "ds"], how="left")
        frame["censored"] = frame["censored"].astype("boolean").fillna(False).astype(bool)
    last = frame["ds"].max()
    recent = frame[frame["ds"] > last - pd.Timedelta(days=28)]
    weights = recent.groupby("unique_id")["revenue"].sum()
    return frame.drop(columns="revenue"), weights


def fit_forecaster(reader: Reader, horizon: int = 28, freq: str = "D", until: str | date | None = None,
                   engine: str = "local", *, models: Sequence[str] = DEFAULT_MODELS, selection: str = "class",
                   ensembles: bool = True, lgbm_params: dict[str, Any] | None = None, n_jobs: int = 1,
                   seed: int = 0, spark: Any = None) -> DemandForecaster:
    """A :class:`DemandForecaster` fitted on the shop's product demand (for sample paths, explanations)."""
    frame, weights = product_history(reader, check_freq(freq), until)
    end = frame["ds"].max()
    # The catalogue's discontinuation dates: those products will not be sold again.
    stopped = reader.sql("SELECT CAST(product_id AS VARCHAR) AS unique_id FROM dim_product "
                         "WHERE discontinued_at IS NOT NULL AND CAST(discontinued_at AS DATE) <= CAST(? AS DATE)",
                         [end.date()])["unique_id"].tolist()
    return DemandForecaster(horizon=horizon, freq=freq, engine=engine, models=models, selection=selection,
                            ensembles=ensembles, lgbm_params=lgbm_params, n_jobs=n_jobs, seed=seed,
                            spark=spark).fit(frame, weights=weights, discontinued=stopped)


def bottom_up(model: DemandForecaster, groups: pd.Series, h: int, n_paths: int = 500,
              seed: int = 0) -> pd.DataFrame:
    """Forecasts of product groups as sums of the product forecasts (coherent by construction).

    ``groups`` maps ``unique_id`` to its group. The point forecast is the sum of the products' point
    forecasts; the quantiles are those of the summed sample paths.
    """
    paths = model.sample_paths(h, n_paths=n_paths, seed=seed)
    point = model.predict(h)
    labels = groups.reindex(paths.ids).fillna("uncategorised").to_numpy(dtype=str)
    frames = []
    for label in np.unique(labels):
        member = labels == label
        summed = paths.paths[member].sum(axis=0)  # (n_paths, h)
        yhat = point[point["unique_id"].isin(paths.ids[member])].groupby("ds")["yhat"].sum().to_numpy()
        frame = pd.DataFrame({"unique_id": label, "ds": paths.dates, "yhat": yhat})
        for name, level in QUANTILES.items():
            frame[name] = np.quantile(summed, level, axis=0)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def forecast_demand(reader: Reader, horizon: int = 28, level: str = "product", freq: str = "D",
                    until: str | date | None = None, engine: str = "local", *,
                    models: Sequence[str] = DEFAULT_MODELS, selection: str = "class", ensembles: bool = True,
                    lgbm_params: dict[str, Any] | None = None, n_jobs: int = 1, seed: int = 0,
                    spark: Any = None) -> ForecastResult:
    """Forecast every product, then sum bottom-up to categories or the whole shop; with the fitted model.

    The keyword-only options are those of :class:`DemandForecaster`.
    """
    check_level(level)
    model = fit_forecaster(reader, horizon, freq, until, engine, models=models, selection=selection,
                           ensembles=ensembles, lgbm_params=lgbm_params, n_jobs=n_jobs, seed=seed, spark=spark)
    if level == "product":
        frame = model.predict(horizon)
    else:
        if level == "total":
            groups = pd.Series("total", index=model.ids_)
        else:
            categories = reader.sql("SELECT CAST(product_id AS VARCHAR) AS unique_id, category FROM dim_product")
            groups = categories.set_index("unique_id")["category"]
        frame = bottom_up(model, groups, horizon, seed=model.seed)
    choice = model.choice_
    chosen = {f"inner_rmsse_{row['class']}": row[row["model"]] for row in choice.to_dict("records")}
    return ForecastResult(
        model="DemandForecaster: one model per demand class chosen by an inner backtest, residual quantiles"
              + ("" if level == "product" else f", summed bottom-up to {level}"),
        params={"horizon": horizon, "level": level, "freq": freq, "until": until, "engine": engine,
                "models": list(models), "selection": selection, "ensembles": ensembles, "seed": seed},
        metrics=chosen, frame=frame, forecaster=model, choice=choice)


def backtest_demand(reader: Reader, horizon: int = 28, origins: int = 3, freq: str = "D",
                    until: str | date | None = None, engine: str = "local",
                    on_step: Callable[[str], None] | None = None, *, models: Sequence[str] = DEFAULT_MODELS,
                    selection: str = "class", ensembles: bool = True, lgbm_params: dict[str, Any] | None = None,
                    n_jobs: int = 1, seed: int = 0, spark: Any = None) -> BacktestResult:
    """Rolling-origin backtest of the shop's product forecasts (WRMSSE weighted by revenue).

    The keyword-only options are those of :class:`DemandForecaster`.
    """
    frame, _ = product_history(reader, check_freq(freq), until)
    revenue = revenue_history(reader, "product", freq, until)
    options = {"engine": engine, "models": tuple(models), "selection": selection, "ensembles": ensembles,
               "lgbm_params": lgbm_params, "n_jobs": n_jobs, "seed": seed, "spark": spark}
    return backtest(frame, horizon=horizon, origins=origins, freq=freq, revenue=revenue, forecaster=options,
                    on_step=on_step)
