"""The forecaster: per-series and global models, chosen per demand class by an inner backtest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shopops.forecast._distribution import (
    Calibration,
    calibrate,
    dispersion,
    hurdle_quantiles,
    sample_paths,
    size_dispersion,
    volume_band,
    zero_share,
)
from shopops.forecast._features import Features
from shopops.forecast._history import ForecastError, Panel, to_panel
from shopops.forecast._lgbm import GlobalLGBM
from shopops.forecast._metrics import QUANTILES, naive_scales
from shopops.forecast._outliers import cap_outliers
from shopops.forecast._stat import SLOW_MODELS, STAT_MODELS, stat_forecasts

__all__ = ["ALL_MODELS", "DEFAULT_MODELS", "MAX_HORIZON", "DemandForecaster", "SamplePaths", "classify"]

DEFAULT_MODELS = (*STAT_MODELS, "lgbm")
#: Every model name ``models`` accepts (AutoETS and AutoTheta are slow, so not in the default list).
ALL_MODELS = (*DEFAULT_MODELS, *SLOW_MODELS)
#: Longest horizon accepted per frequency: a year ahead (beyond it the history cannot back anything).
MAX_HORIZON = {"D": 366, "W": 104}
_MIN_PERIODS = {"D": 14, "W": 6}
_ENSEMBLE_PARTNERS = ("sba", "tsb", "adida", "imapa", "ma")
_MEAN_OF = ("lgbm", "ma", "tsb", "adida", "imapa")
#: Models whose forecast is one level for every period: the shop's weekday profile shapes them.
_FLAT_MODELS = ("naive", "ma", "sba", "tsb", "adida", "imapa")
#: Seasons (weeks) of recent history a series' P(y = 0) is taken from.
ZERO_WINDOW = 4

@dataclass(frozen=True)
class SamplePaths:
    """Joint sample paths of future demand: ``paths[i, p, k]`` is series ``ids[i]`` on ``dates[k]``."""

    ids: np.ndarray
    dates: pd.DatetimeIndex
    paths: np.ndarray

    def total(self, periods: int) -> np.ndarray:
        """Demand summed over the first ``periods`` periods, per series and path: (n_series, n_paths)."""
        return np.asarray(self.paths[:, :, :periods].sum(axis=2))


def classify(values: np.ndarray, t: int, season: int) -> np.ndarray:
    """Demand class of each series at period ``t`` (Syntetos-Boylan, plus new and dormant).

    ``new``: fewer than 4 seasons since the first observation; ``dormant``: no sale in the last 13
    seasons; otherwise ``smooth``/``erratic``/``intermittent``/``lumpy`` by the mean interval between
    sales (ADI, cut 1.32) and the squared coefficient of variation of sale sizes (CV², cut 0.49).
    """
    hist = values[:, :t + 1]
    observed = ~np.isnan(hist)
    filled = np.nan_to_num(hist)
    age = observed.sum(axis=1)
    nonzero = (filled > 0).sum(axis=1)
    recent = (filled[:, max(t + 1 - 13 * season, 0):] > 0).any(axis=1)
    adi = age / np.maximum(nonzero, 1)
    sizes = np.where(filled > 0, filled, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(nonzero[:, None] > 0, sizes, 0.0), axis=1)
        cv2 = np.nan_to_num(np.nanvar(np.where(nonzero[:, None] > 0, sizes, 0.0), axis=1) / mean ** 2)
    label = np.where(adi < 1.32, np.where(cv2 < 0.49, "smooth", "erratic"),
                     np.where(cv2 < 0.49, "intermittent", "lumpy")).astype(object)
    label[~recent] = "dormant"
    label[age < 4 * season] = "new"
    return label


def weekday_profile(feat: Features, t: int, h: int) -> np.ndarray:
    """Shop-wide demand on each target period's weekday relative to the mean, over the last 13 weeks.

    Online Retail sells nothing on Saturdays: a flat intermittent-demand forecast spread evenly over the
    week misses that on every series; multiplying by this profile (mean 1 over a week) does not.
    """
    s = feat.season
    lo = max(t + 1 - 13 * s, 0)
    total = feat.total[lo:t + 1]
    weekday = (np.arange(lo, t + 1) - (t + 1)) % s  # weekday offset relative to the first target period
    mean = total.mean()
    if mean <= 0:
        return np.ones(h)
    by_day = np.array([total[weekday == d].mean() if (weekday == d).any() else mean for d in range(s)]) / mean
    return np.asarray(by_day[np.arange(h) % s])


def _impute_censored(values: np.ndarray, censored: np.ndarray, season: int) -> np.ndarray:
    """Sales on stock-out days understate demand: raise them to the mean of the last 4 seasons in stock."""
    out = values.copy()
    width = 4 * season
    for i, t in zip(*np.nonzero(censored & ~np.isnan(values)), strict=True):
        window = values[i, max(t - width, 0):t]
        ok = ~censored[i, max(t - width, 0):t] & ~np.isnan(window)
        if ok.any():
            out[i, t] = max(values[i, t], float(window[ok].mean()))
    return out


def _local_stats(panel: Panel, rows: np.ndarray, t: int, h: int, models: Sequence[str]) -> dict[str, np.ndarray]:
    season = 7 if panel.freq == "D" else 1
    start = panel.start
    series = [panel.values[i, start[i]:t + 1] for i in rows]
    return stat_forecasts(series, h, season, models)


class DemandForecaster:
    """Probabilistic demand forecasts for many series (statsforecast-style long format).

    Parameters
    ----------
    horizon : int
        Longest horizon ``predict`` will be asked for (the direct LightGBM model is trained for it).
    freq : str
        ``D`` or ``W``.
    models : sequence of str
        Candidates: ``naive``, ``snaive``, ``ma``, ``sba``, ``tsb``, ``adida``, ``imapa``, ``lgbm`` (the
        default), and ``ets`` (AutoETS) and ``theta`` (AutoTheta), slow, for comparison. When
        ``ensembles`` is true, the averages of ``lgbm`` with each of ``sba, tsb, adida, imapa, ma`` and
        ``mean`` (of ``lgbm, ma, tsb, adida, imapa``) are candidates too.
    selection : str
        ``class``: choose one candidate per demand class (see :func:`classify`) by the inner backtest
        (per-series choice on a few weeks of intermittent sales is mostly noise); or the name of one
        candidate to use it everywhere.
    engine : str
        ``local`` or ``spark`` (per-series models fitted on Spark with ``applyInPandas``).
    n_jobs : int
        Threads of LightGBM (1 by default: on a busy 2-core machine a second thread made it slower).
    seed : int
        Seed of LightGBM's sampling and of the sample paths.

    Notes
    -----
    ``fit`` runs an inner backtest: every candidate forecasts the last ``min(horizon, periods // 3)``
    periods from history before them. Its scores pick the model per demand class; the chosen
    forecasts against the (uncapped) sales calibrate the predictive distribution: per cell a hurdle
    negative binomial with mean ``yhat``, the series' recent share of open days without a sale as
    P(y = 0) (``zero_``), and the dispersion of its recent sale sizes times a factor calibrated per
    demand class x volume band (``phi_``, see ``calibration_``). Then every chosen model is refitted
    on the whole history.
    """

    def __init__(self, horizon: int = 28, freq: str = "D", models: Sequence[str] = DEFAULT_MODELS,
                 selection: str = "class", ensembles: bool = True, engine: str = "local",
                 lgbm_params: dict[str, Any] | None = None, n_jobs: int = 1, seed: int = 0,
                 spark: Any = None) -> None:
        self.horizon = horizon
        self.freq = freq
        self.models = tuple(models)
        self.selection = selection
        self.ensembles = ensembles
        self.engine = engine
        self.lgbm_params = lgbm_params
        self.n_jobs = n_jobs
        self.seed = seed
        self.spark = spark

    # ------------------------------------------------------------------ checks
    def _check(self) -> None:
        if self.freq not in MAX_HORIZON:
            raise ForecastError(f"freq must be D or W, not {self.freq!r}")
        check_horizon(self.horizon, self.freq)
        unknown = [m for m in self.models if m not in ALL_MODELS]
        if unknown or not self.models:
            raise ForecastError(f"unknown models {unknown}; choose from {', '.join(ALL_MODELS)}")
        if self.engine not in ("local", "spark"):
            raise ForecastError(f"engine must be local or spark, not {self.engine!r}")

    def _stats(self, panel: Panel, rows: np.ndarray, t: int, h: int, models: Sequence[str]) -> dict[str, np.ndarray]:
        if self.engine == "spark":
            from shopops.forecast._spark import spark_stats

            return spark_stats(self.spark, panel, rows, t, h, models)
        return _local_stats(panel, rows, t, h, models)

    # ------------------------------------------------------------------ fitting
    def _candidates(self, feat: Features, panel: Panel, t: int, h: int, lgbm: GlobalLGBM | None,
                    rows: np.ndarray) -> dict[str, np.ndarray]:
        """Point forecasts ``(len(rows), h)`` of every candidate from origin ``t`` (inclusive)."""
        capped = Panel(panel.ids, panel.dates, feat.values, panel.freq)
        stat_names = [m for m in self.models if m != "lgbm"]
        out = self._stats(capped, rows, t, h, stat_names) if stat_names else {}
        if feat.season > 1:
            profile = weekday_profile(feat, t, h)
            for name in _FLAT_MODELS:
                if name in out:
                    out[name] = out[name] * profile[None, :]
        if lgbm is not None:
            out["lgbm"] = lgbm.predict(feat, t, rows)
            if self.ensembles:
                for partner in _ENSEMBLE_PARTNERS:
                    if partner in out:
                        out[f"lgbm+{partner}"] = (out["lgbm"] + out[partner]) / 2
                members = [m for m in _MEAN_OF if m in out]
                if len(members) > 2:  # diverse models' errors partly cancel (M5's lesson)
                    out["mean"] = np.mean([out[m] for m in members], axis=0)
        return out

    def fit(self, df: pd.DataFrame, weights: pd.Series | None = None,
            discontinued: Sequence[str] = ()) -> DemandForecaster:
        """Fit on a long ``unique_id, ds, y`` frame.

        An optional boolean column ``censored`` marks periods when the product was out of stock; their
        sales are raised to the recent in-stock mean before fitting. ``weights`` (indexed by
        ``unique_id``, e.g. revenue) weigh the series when models are chosen; default: recent units.
        Series in ``discontinued`` (no longer sold) are forecast zero, like series that never sold.
        """
        self._check()
        panel = to_panel(df, self.freq)
        s = 7 if self.freq == "D" else 1
        n_periods = len(panel.dates)
        if n_periods < _MIN_PERIODS[self.freq]:
            raise ForecastError(f"too little history: {n_periods} periods from {panel.dates[0]:%Y-%m-%d}; "
                                f"need at least {_MIN_PERIODS[self.freq]} ({self.freq})")
        values = panel.values
        if "censored" in df.columns:
            flags = to_panel(df.assign(y=df["censored"].astype(float)), self.freq).values > 0
            values = _impute_censored(values, flags, s)
        uncapped = values
        # Bulk orders are not demand to plan for: winsorise at 5x the series' 90th-percentile sale size
        # (the pooled one for series with fewer than five sales), never below 10 units.
        capped, _ = cap_outliers(np.nan_to_num(values), 5.0, min_sales=5, pooled=True, floor=10.0)
        values = np.where(np.isnan(values), np.nan, capped)
        price = None
        if "price" in df.columns:
            price = to_panel(df.assign(y=df["price"].fillna(0.0)), self.freq).values
            price = np.where(price > 0, price, np.nan)
        feat = Features.build(values, panel.dates, s, price)
        h, last = self.horizon, n_periods - 1
        valid = min(h, max(n_periods // 3, 1))
        self.inner_days_ = valid
        inner = last - valid
        use_lgbm = "lgbm" in self.models and GlobalLGBM.can_fit(inner + 1, valid, s) \
            and GlobalLGBM.can_fit(n_periods, h, s)
        self.lgbm_used_ = use_lgbm

        # Inner backtest: every candidate from ``inner``, scored on the ``valid`` periods after it.
        rows_in = np.flatnonzero(panel.start <= inner)
        lgbm_in = GlobalLGBM(self.lgbm_params, n_jobs=self.n_jobs, seed=self.seed).fit(feat, inner, valid) \
            if use_lgbm else None
        cand = self._candidates(feat, panel, inner, valid, lgbm_in, rows_in)
        actual = np.nan_to_num(values[rows_in, inner + 1:])
        _, mse = naive_scales(values[rows_in, :inner + 1])
        classes_in = classify(values, inner, s)[rows_in]
        if weights is None:
            w = np.nan_to_num(values[rows_in, max(inner + 1 - 4 * s, 0):inner + 1]).sum(axis=1)
        else:
            w = weights.reindex(panel.ids[rows_in]).fillna(0.0).to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = {name: np.sqrt(((f - actual) ** 2).mean(axis=1) / mse) for name, f in cand.items()}
        self.choice_ = self._choose(scores, classes_in, w)
        zero_in = zero_share(uncapped, inner, ZERO_WINDOW * s, s)[rows_in]
        cand["auto"] = _within_reach(self._pick(cand, classes_in), zero_in, values[rows_in, :inner + 1], s)
        # The chosen forecasts of the inner backtest and what happened: their errors are the residuals
        # a reconciliation (MinTrace) weighs the series by.
        self.inner_residuals_ = pd.DataFrame(
            np.nan_to_num(uncapped[rows_in, inner + 1:]) - cand["auto"], index=panel.ids[rows_in],
            columns=panel.dates[inner + 1:])

        # The predictive distribution is calibrated on the chosen forecasts against the uncapped sales:
        # the bulk orders the cap keeps out of the mean are still demand a quantile must cover. The
        # series' own dispersion is of its capped sales, so one such order does not flatten its median.
        raw_level = feat.level(inner, 4 * s)[rows_in]
        self.calibration_: Calibration = calibrate(np.nan_to_num(uncapped[rows_in, inner + 1:]), cand["auto"],
                                                   zero_in, size_dispersion(values, inner, 13 * s)[rows_in],
                                                   classes_in, volume_band(raw_level, s), weight=w,
                                                   seed=self.seed)

        # Refit on the whole history and forecast from its last period.
        rows = np.arange(len(panel.ids))
        lgbm = GlobalLGBM(self.lgbm_params, n_jobs=self.n_jobs, seed=self.seed).fit(feat, last, h) \
            if use_lgbm else None
        final = self._candidates(feat, panel, last, h, lgbm, rows)
        self.classes_ = classify(values, last, s)
        self.zero_ = zero_share(uncapped, last, ZERO_WINDOW * s, s)
        final["auto"] = _within_reach(self._pick(final, self.classes_), self.zero_, values, s)
        self.bands_ = volume_band(feat.level(last, 4 * s), s)
        self.phi_ = dispersion(self.calibration_.lookup(self.classes_, self.bands_),
                               size_dispersion(values, last, 13 * s))
        # A series that never sold is forecast zero with zero-width quantiles (documented fallback).
        never_sold = ~(np.nan_to_num(values) > 0).any(axis=1) | np.isin(panel.ids, list(discontinued))
        for forecast in final.values():
            forecast[never_sold] = 0.0
        self.point_ = final["auto"]
        self.ids_ = panel.ids
        self.dates_ = pd.date_range(panel.dates[-1], periods=h + 1, freq="D" if self.freq == "D" else "W-MON")[1:]
        self.candidates_ = final
        self.feature_importances_ = pd.DataFrame(
            sorted(lgbm.importances().items(), key=lambda kv: -kv[1]), columns=["feature", "gain_share"]
        ) if lgbm is not None else pd.DataFrame(columns=["feature", "gain_share"])
        series_scores = pd.DataFrame({f"rmsse_{k}": v for k, v in scores.items()})
        series_scores.insert(0, "unique_id", panel.ids[rows_in])
        self.inner_scores_ = series_scores
        return self

    def _choose(self, scores: dict[str, np.ndarray], classes: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
        """Score table (class x candidate) and the winner per class: weighted mean RMSSE, lower is better."""
        if self.selection != "class" and self.selection not in scores:
            raise ForecastError(f"selection must be class or one of {', '.join(scores)}, "
                                f"not {self.selection!r}")
        rows = []
        for cls in [*np.unique(classes), "all"]:
            member = (classes == cls) if cls != "all" else np.ones(len(classes), bool)
            row: dict[str, Any] = {"class": cls, "series": int(member.sum())}
            for name, sc in scores.items():
                ok = member & np.isfinite(sc)
                wt = weight[ok] / weight[ok].sum() if weight[ok].sum() > 0 else np.zeros(ok.sum())
                # Weighted like WRMSSE; a plain mean where a class has no weight at all.
                row[name] = float((wt * sc[ok]).sum() if wt.sum() > 0 else sc[ok].mean()) if ok.any() else np.nan
            rows.append(row)
        table = pd.DataFrame(rows)
        names = list(scores)
        table["model"] = [
            self.selection if self.selection in scores else
            (names[int(np.nanargmin(r))] if np.isfinite(r).any() else names[0])
            for r in table[names].to_numpy(dtype=float)
        ]
        return table

    def _model_for(self, cls: str) -> str:
        table = dict(zip(self.choice_["class"], self.choice_["model"], strict=True))
        return str(table.get(cls, table["all"]))

    def _pick(self, cand: dict[str, np.ndarray], classes: np.ndarray) -> np.ndarray:
        out = np.zeros_like(next(iter(cand.values())))
        for cls in np.unique(classes):
            member = classes == cls
            out[member] = cand[self._model_for(cls)][member]
        return out

    # ------------------------------------------------------------------ predicting
    def _fitted(self) -> None:
        if not hasattr(self, "point_"):
            raise ForecastError("the forecaster is not fitted; call fit(df) first")

    def _h(self, h: int) -> int:
        self._fitted()
        check_horizon(h, self.freq)
        if h > self.horizon:
            raise ForecastError(f"h={h} is beyond the horizon the forecaster was fitted for ({self.horizon}); "
                                f"fit with horizon={h}")
        return h

    def quantiles(self, h: int, model: str = "auto") -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Point forecasts and quantiles ``(n_series, h)`` of one candidate (``auto``: the chosen ones).

        Every cell's quantiles are those of the hurdle negative binomial with mean ``point``, the
        series' P(y = 0) (``zero_``) and its dispersion (``phi_``; see ``calibration_``).
        """
        point = self.point(h, model)
        levels = hurdle_quantiles(point, self.zero_[:, None], self.phi_[:, None], tuple(QUANTILES.values()))
        return point, dict(zip(QUANTILES, levels, strict=True))

    def point(self, h: int, model: str = "auto") -> np.ndarray:
        """Point forecasts (the predictive mean) ``(n_series, h)`` of one candidate."""
        h = self._h(h)
        if model not in self.candidates_:
            raise ForecastError(f"no candidate {model!r}; fitted candidates: {', '.join(self.candidates_)}")
        return np.asarray(self.candidates_[model][:, :h])

    def predict(self, h: int) -> pd.DataFrame:
        """Forecasts ``unique_id, ds, yhat, q05, q25, q50, q75, q80, q90, q95, q99`` for ``h`` periods."""
        point, quant = self.quantiles(h)
        frame = pd.DataFrame({"unique_id": np.repeat(self.ids_, h), "ds": np.tile(self.dates_[:h], len(self.ids_)),
                              "yhat": point.reshape(-1)})
        for name, values in quant.items():
            frame[name] = values.reshape(-1)
        return frame

    def sample_paths(self, h: int, n_paths: int = 200, seed: int | None = None) -> SamplePaths:
        """Joint sample paths ``(n_series, n_paths, h)`` of future demand.

        Every day of a path is drawn from the same negative binomial that :meth:`predict`'s quantiles
        come from (so the paths' mean is ``yhat`` and their daily quantiles are ``q05 … q99``, up to
        sampling), and the days of one path share part of their demand rate (the day-to-day
        correlation measured in the inner backtest), so lead-time totals are as uncertain as the
        history says, not narrowed by independent days.
        """
        h = self._h(h)
        if not isinstance(n_paths, int | np.integer) or n_paths < 1:
            raise ForecastError(f"n_paths must be a whole number of at least 1, not {n_paths!r}")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        paths = sample_paths(self.point_[:, :h], self.zero_, self.phi_, self.calibration_.correlation,
                             int(n_paths), rng)
        return SamplePaths(ids=self.ids_, dates=self.dates_[:h], paths=paths)

    def explain(self) -> pd.DataFrame:
        """Per series: demand class, chosen model, its inner-backtest RMSSE beside the others, its distribution."""
        self._fitted()
        frame = pd.DataFrame({"unique_id": self.ids_, "demand_class": self.classes_})
        frame["model"] = [self._model_for(c) for c in self.classes_]
        frame = frame.merge(self.inner_scores_, on="unique_id", how="left")
        frame["volume_band"] = self.bands_
        frame["dispersion"] = self.phi_
        frame["rmsse_chosen"] = [
            row.get(f"rmsse_{m}", np.nan) for row, m in zip(frame.to_dict("records"), frame["model"], strict=True)
        ]
        table = self.choice_.set_index("class")
        frame["why"] = [
            f"{m}: lowest weighted RMSSE of {table.loc[c if c in table.index else 'all', m]:.3f} "
            f"on '{c}' series in the inner backtest" for c, m in zip(frame["demand_class"], frame["model"], strict=True)
        ]
        return frame


def _within_reach(point: np.ndarray, zero: np.ndarray, history: np.ndarray, season: int) -> np.ndarray:
    """Cap each forecast at P(sale) x the series' largest sale of the last 13 seasons.

    No mean can be higher with that selling frequency and those sale sizes. Croston-type models keep
    forecasting a product's old level for months after it stopped selling; this brings them down as
    soon as the recent weeks show no sales, and leaves series that still sell untouched.
    """
    largest = np.nanmax(np.nan_to_num(history[:, -13 * season:]), axis=1)
    return np.asarray(np.minimum(point, ((1 - zero) * np.maximum(largest, 1.0))[:, None]))


def check_horizon(h: int, freq: str) -> int:
    """Return ``h`` or raise if it is not between 1 and :data:`MAX_HORIZON`."""
    limit = MAX_HORIZON.get(freq, 366)
    if not isinstance(h, int | np.integer) or isinstance(h, bool) or not 1 <= h <= limit:
        raise ForecastError(f"horizon must be a whole number of periods from 1 to {limit} ({freq}), not {h!r}")
    return int(h)
