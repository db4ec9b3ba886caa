"""Rolling-origin backtest: refit at each origin, score the next ``horizon`` periods."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from shopops.forecast._forecaster import DemandForecaster, check_horizon
from shopops.forecast._history import ForecastError, to_panel
from shopops.forecast._metrics import (
    QUANTILES,
    SCORED_QUANTILES,
    calibration_rows,
    naive_scales,
    revenue_deciles,
    series_scores,
    steady_zero_median,
)
from shopops.result import Result

__all__ = ["BacktestResult", "Peer", "backtest", "score_frame"]

#: A peer model: (training history, horizon) -> frame ``unique_id, ds, yhat`` (+ any quantile columns).
Peer = Callable[[pd.DataFrame, int], pd.DataFrame]
_MEASURES = ("mase", "rmsse", "wrmsse", "wspl", "bias", "pinball", "cover80", "cover95", "cover_05_95",
             "top_cover50", "top_cover90", "top_bias", "steady_zero_median", "top_steady_zero_median")


@dataclass(kw_only=True)
class BacktestResult(Result):
    """Scores of a rolling-origin backtest, as DataFrames.

    ``summary``: one row per model over all origins; ``by_origin``: per model and origin; ``series``:
    per series, origin and model (RMSSE, MASE, weight); ``forecasts``: the chosen forecasts and the actuals;
    ``choices``: the model chosen per demand class at each origin; ``importances``: LightGBM feature gain;
    ``calibration``: per model, origin and group of series (demand class, revenue decile), P(y <= q50 …
    q95) and the bias, what a planner feels where the revenue is.
    ``metrics`` are the chosen forecasts' (``auto``) scores over all origins.
    """

    capability: ClassVar[str] = "forecast"
    summary: pd.DataFrame
    by_origin: pd.DataFrame
    series: pd.DataFrame
    forecasts: pd.DataFrame
    choices: pd.DataFrame
    importances: pd.DataFrame
    calibration: pd.DataFrame
    horizon: int
    origins: list[pd.Timestamp] = field(default_factory=list)

    def explain(self) -> str:
        """The models ranked by WRMSSE over all origins, the per-class choices and the top features."""
        lines = [f"forecast backtest: {self.model}",
                 f"horizon {self.horizon}, origins " + ", ".join(f"{o:%Y-%m-%d}" for o in self.origins)]
        shown = self.summary.head(5)
        # The automatic selection is what forecast() serves, so its score is always shown, whatever its rank.
        ranked_auto = self.summary.index[self.summary["model"] == "auto"]
        if len(ranked_auto) and "auto" not in set(shown["model"]):
            shown = pd.concat([shown, self.summary.loc[ranked_auto]])
        for row in shown.itertuples(index=False):
            lines.append(f"  {row.model}: WRMSSE {row.wrmsse:.4f}, WSPL {row.wspl:.4f}, MASE {row.mase:.4f}, "
                         f"bias {row.bias:+.4f}, P(y<=q95) {row.cover95:.3f}; top revenue decile P(y<=q50) "
                         f"{row.top_cover50:.3f}, P(y<=q90) {row.top_cover90:.3f}")
        if not self.choices.empty:
            chosen = self.choices.groupby("class")["model"].agg(lambda m: ", ".join(dict.fromkeys(m)))
            lines.append("chosen per class: " + "; ".join(f"{c} {m}" for c, m in chosen.items() if c != "all"))
        if not self.importances.empty:
            top = self.importances.groupby("feature")["gain_share"].mean().nlargest(5)
            lines.append("LightGBM features: " + ", ".join(f"{f} {g:.2f}" for f, g in top.items()))
        return "\n".join(lines)


def _aggregate(parts: list[dict[str, np.ndarray]], weight: np.ndarray) -> dict[str, float]:
    """Overall measures of stacked per-series scores (weights already normalised per origin)."""
    stacked = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    ok = np.isfinite(stacked["rmsse"])
    out = {
        "wspl": float((weight[ok] * stacked["pinball"][ok]).sum() / max(weight[ok].sum(), 1e-12))
        if "pinball" in stacked else np.nan,
        "mase": float(np.nanmean(stacked["mase"][ok])),
        "rmsse": float(np.nanmean(stacked["rmsse"][ok])),
        "wrmsse": float((weight[ok] * stacked["rmsse"][ok]).sum() / max(weight[ok].sum(), 1e-12)),
        "bias": float(stacked["error_sum"].sum() / max(stacked["actual_sum"].sum(), 1e-12)),
    }
    for name in ("pinball", "cover80", "cover95", "cover_05_95"):
        out[name] = float(np.nanmean(stacked[name][ok])) if name in stacked else np.nan
    return out


def _over_origins(rows: pd.DataFrame) -> dict[str, float]:
    """Top-decile coverage (mean, worst origin) and the steady sellers' zero-median share over origins."""
    out = {"top_cover50": float(rows["top_cover50"].mean()), "top_cover90": float(rows["top_cover90"].mean()),
           "top_bias": float(rows["top_bias"].mean())}
    for key in ("", "top_"):
        steady = rows[f"{key}steady_sellers"].sum()
        zero = (rows[f"{key}steady_zero_median"].fillna(0) * rows[f"{key}steady_sellers"]).sum()
        out[f"{key}steady_zero_median"] = float(zero / steady) if steady else np.nan
    return {**out, "seconds": float(rows["seconds"].sum(min_count=1))}


def score_frame(forecast: pd.DataFrame, ids: np.ndarray, dates: pd.DatetimeIndex) -> tuple[
        np.ndarray, dict[str, np.ndarray] | None]:
    """A forecast frame as matrices ``(len(ids), len(dates))``: the point forecast and any quantiles."""
    frame = forecast.set_index(["unique_id", "ds"])
    index = pd.MultiIndex.from_product([ids, dates], names=["unique_id", "ds"])
    frame = frame.reindex(index)
    point = frame["yhat"].to_numpy(dtype=float).reshape(len(ids), len(dates))
    if np.isnan(point).any():
        raise ForecastError("a forecast has NaN or missing values for some series; every series needs a value")
    quant = None
    if all(q in frame.columns for q in SCORED_QUANTILES):
        quant = {q: frame[q].to_numpy(dtype=float).reshape(len(ids), len(dates)) for q in QUANTILES if q in frame}
    return point, quant


def backtest(df: pd.DataFrame, horizon: int = 28, origins: int = 3, step: int | None = None, freq: str = "D",
             revenue: pd.DataFrame | None = None, peers: dict[str, Peer] | None = None,
             forecaster: dict[str, Any] | None = None,
             on_step: Callable[[str], None] | None = None) -> BacktestResult:
    """Rolling-origin evaluation of :class:`DemandForecaster` (its chosen forecasts and every candidate).

    Parameters
    ----------
    df : DataFrame
        Long ``unique_id, ds, y`` history (the whole of it; origins are cut from its end).
    horizon, origins, step : int
        Periods forecast from each origin, how many origins, and the periods between them (default:
        ``horizon``, so the last origin's window ends on the last period).
    revenue : DataFrame or None
        Long ``unique_id, ds, y`` revenue: WRMSSE weights are each series' revenue over the last
        ``horizon`` periods before the origin (M5). Default: units.
    peers : dict of str to callable
        Other models run on the same origins and scored the same way, e.g. statsforecast's AutoETS.
    freq : str
        ``D`` or ``W``.
    forecaster : dict or None
        Keyword arguments of :class:`DemandForecaster`.
    on_step : callable or None
        Called with a progress message before each model at each origin.
    """
    check_horizon(horizon, freq)
    if origins < 1:
        raise ForecastError(f"origins must be at least 1, not {origins}")
    step = step or horizon
    panel = to_panel(df, freq)
    rev = to_panel(revenue, freq) if revenue is not None else None
    n_periods = len(panel.dates)
    cut = [n_periods - 1 - horizon - step * j for j in reversed(range(origins))]
    if cut[0] < 14:
        raise ForecastError(f"{origins} origins {step} periods apart with horizon {horizon} need more than "
                            f"{horizon + step * (origins - 1) + 14} periods of history; there are {n_periods}")
    notify = on_step or (lambda _msg: None)
    records, series_rows, forecasts, choices, importances, calibration = [], [], [], [], [], []
    parts: dict[str, list[dict[str, np.ndarray]]] = {}
    weights: dict[str, list[np.ndarray]] = {}
    for k, t in enumerate(cut):
        origin = panel.dates[t]
        train = df[pd.to_datetime(df["ds"]) <= origin]
        rows = np.flatnonzero(panel.start <= t)
        ids = panel.ids[rows]
        dates = panel.dates[t + 1:t + 1 + horizon]
        actual = np.nan_to_num(panel.values[rows, t + 1:t + 1 + horizon])
        mae, mse = naive_scales(panel.values[rows, :t + 1])
        source = rev.values if rev is not None and np.array_equal(rev.ids, panel.ids) else panel.values
        w = np.nan_to_num(source[rows, max(t + 1 - horizon, 0):t + 1]).sum(axis=1)
        w = w / max(w[np.isfinite(mse)].sum(), 1e-12)
        deciles = revenue_deciles(w)
        runs: dict[str, tuple[np.ndarray, dict[str, np.ndarray] | None, float]] = {}
        notify(f"origin {k + 1}/{origins} ({origin:%Y-%m-%d}): shopops")
        started = time.perf_counter()
        recent = None if rev is None else pd.Series(
            np.nan_to_num(rev.values[:, max(t + 1 - horizon, 0):t + 1]).sum(axis=1), index=rev.ids)
        model = DemandForecaster(horizon=horizon, freq=freq, **(forecaster or {})).fit(train, weights=recent)
        seconds = time.perf_counter() - started
        order = pd.Index(model.ids_).get_indexer(ids)
        # Quantiles of the chosen forecasts only: the other candidates are compared on their means.
        point, quant = model.quantiles(horizon)
        runs["auto"] = (point[order], {q: v[order] for q, v in quant.items()}, seconds)
        for name in model.candidates_:
            if name != "auto":
                runs[name] = (model.point(horizon, name)[order], None, np.nan)
        choices.append(model.choice_.assign(origin=origin))
        importances.append(model.feature_importances_.assign(origin=origin))
        for peer_name, peer in (peers or {}).items():
            notify(f"origin {k + 1}/{origins} ({origin:%Y-%m-%d}): {peer_name}")
            started = time.perf_counter()
            peer_frame = peer(train, horizon)
            peer_seconds = time.perf_counter() - started
            peer_point, peer_quant = score_frame(peer_frame, ids, dates)
            runs[peer_name] = (peer_point, peer_quant, peer_seconds)
        groups = {"demand_class": model.classes_[order], "revenue_decile": deciles}
        season = 7 if freq == "D" else 1
        for name, (run_point, run_quant, secs) in runs.items():
            scores = series_scores(actual, run_point, run_quant, mae, mse)
            parts.setdefault(name, []).append(scores)
            weights.setdefault(name, []).append(w)
            cal = pd.DataFrame(calibration_rows(actual, run_point, run_quant, groups)).assign(model=name, origin=origin)
            calibration.append(cal)
            top = cal[(cal["grouping"] == "revenue_decile") & (cal["group"] == "10")].iloc[0]
            steady = {key: steady_zero_median(panel.values[rows, :t + 1], actual, run_quant["q50"], season, among)
                      if run_quant else (0, 0) for key, among in (("", None), ("top_", deciles == 10))}
            records.append({"model": name, "origin": origin, **_aggregate([scores], w),
                            "top_cover50": top["P(y<=q50)"], "top_cover90": top["P(y<=q90)"], "top_bias": top["bias"],
                            **{f"{key}steady_sellers": n for key, (n, _) in steady.items()},
                            **{f"{key}steady_zero_median": z / n if n else np.nan for key, (n, z) in steady.items()},
                            "seconds": secs})
            series_rows.append(pd.DataFrame({"model": name, "origin": origin, "unique_id": ids, "weight": w,
                                             "rmsse": scores["rmsse"], "mase": scores["mase"]}))
        point, quant = runs["auto"][0], runs["auto"][1] or {}
        frame = pd.DataFrame({"unique_id": np.repeat(ids, horizon), "ds": np.tile(dates, len(ids)),
                              "origin": origin, "demand_class": np.repeat(model.classes_[order], horizon),
                              "y": actual.reshape(-1), "yhat": point.reshape(-1)})
        for q, v in quant.items():
            frame[q] = v.reshape(-1)
        forecasts.append(frame)
    by_origin = pd.DataFrame(records)
    summary = pd.DataFrame([
        {"model": name, **_aggregate(p, np.concatenate(weights[name]) / len(p)),
         **_over_origins(by_origin[by_origin["model"] == name])}
        for name, p in parts.items()
    ])
    summary = summary.sort_values("wrmsse").reset_index(drop=True)
    auto = summary.set_index("model").loc["auto"]
    params = {"horizon": horizon, "origins": origins, "step": step, "freq": freq,
              "peers": sorted(peers or {}), **(forecaster or {})}
    return BacktestResult(model="DemandForecaster, one model per demand class, rolling origin", params=params,
                          metrics={k: float(auto[k]) for k in (*_MEASURES, "seconds")},
                          summary=summary, by_origin=by_origin, series=pd.concat(series_rows, ignore_index=True),
                          forecasts=pd.concat(forecasts, ignore_index=True), choices=pd.concat(choices),
                          importances=pd.concat(importances), horizon=horizon,
                          calibration=pd.concat(calibration, ignore_index=True),
                          origins=[panel.dates[t] for t in cut])
