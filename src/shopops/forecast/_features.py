"""Features of the global LightGBM model: what is known at the forecast origin, and the target's calendar."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FEATURES", "Features", "holidays", "origin_features"]

#: Feature names, in column order (the explanation reports their importance under these names).
FEATURES = (
    "step", "target_dow", "target_holiday", "mean_1w", "mean_4w", "mean_13w", "same_weekday_4w",
    "weekday_share", "nonzero_4w", "nonzero_13w", "last_value", "periods_since_sale", "age",
    "shop_trend", "price_ratio",
)


def holidays(years: range) -> set[pd.Timestamp]:
    """UK bank holidays (England) of ``years`` plus Christmas Eve and New Year's Eve (shops close early)."""
    days: set[pd.Timestamp] = set()
    for year in years:
        easter = pd.Timestamp(year=year, month=1, day=1) + pd.offsets.Easter()
        may = pd.date_range(f"{year}-05-01", f"{year}-05-31", freq="W-MON")
        august = pd.date_range(f"{year}-08-01", f"{year}-08-31", freq="W-MON")
        days.update({easter - pd.Timedelta(days=2), easter + pd.Timedelta(days=1), may[0], may[-1], august[-1]})
        days.update(pd.Timestamp(year=year, month=m, day=d) for m, d in ((1, 1), (12, 24), (12, 25), (12, 26),
                                                                         (12, 31)))
    return days


@dataclass(frozen=True)
class Features:
    """Running sums over a (series x period) matrix, so each origin's features cost O(series)."""

    values: np.ndarray  # capped demand, NaN before a series starts
    price: np.ndarray | None  # average selling price per cell, NaN where unknown
    dates: pd.DatetimeIndex
    season: int  # 7 for days (weekday pattern), 1 for weeks
    cum: np.ndarray
    cum_obs: np.ndarray
    cum_nonzero: np.ndarray
    last_sale: np.ndarray
    start: np.ndarray
    total: np.ndarray

    @classmethod
    def build(cls, values: np.ndarray, dates: pd.DatetimeIndex, season: int,
              price: np.ndarray | None = None) -> Features:
        """Precompute the running sums of ``values`` (n_series x n_periods)."""
        observed = ~np.isnan(values)
        filled = np.where(observed, values, 0.0)
        pad = np.zeros((values.shape[0], 1))
        idx = np.where(filled > 0, np.arange(values.shape[1])[None, :], -1)
        start = np.where(observed.any(axis=1), observed.argmax(axis=1), values.shape[1])
        return cls(values=values, price=price, dates=dates, season=season,
                   cum=np.hstack([pad, np.cumsum(filled, axis=1)]),
                   cum_obs=np.hstack([pad, np.cumsum(observed, axis=1)]),
                   cum_nonzero=np.hstack([pad, np.cumsum(filled > 0, axis=1)]),
                   last_sale=np.maximum.accumulate(idx, axis=1), start=start,
                   total=filled.sum(axis=0))

    def _window(self, cum: np.ndarray, t: int, width: int) -> np.ndarray:
        lo = max(t + 1 - width, 0)
        count = self.cum_obs[:, t + 1] - self.cum_obs[:, lo]
        return np.asarray((cum[:, t + 1] - cum[:, lo]) / np.maximum(count, 1))

    def level(self, t: int, width: int) -> np.ndarray:
        """Mean demand of each series over the ``width`` periods up to and including ``t``."""
        return self._window(self.cum, t, width)


def _same_weekday(feat: Features, t: int, h: int) -> np.ndarray:
    """Mean of the last four periods with the target's weekday, for every step: (n, h)."""
    s = feat.season
    out = np.zeros((feat.values.shape[0], h))
    for step in range(1, h + 1):
        back = s * int(np.ceil(step / s)) - step  # periods between the origin and that weekday's last period
        cols = [t - back - s * j for j in range(4) if t - back - s * j >= 0]
        cells = feat.values[:, cols]
        count = (~np.isnan(cells)).sum(axis=1)
        out[:, step - 1] = np.nansum(cells, axis=1) / np.maximum(count, 1)
    return out


def origin_features(feat: Features, t: int, h: int, rows: np.ndarray, holiday: set[pd.Timestamp]) -> np.ndarray:
    """Feature matrix ``(len(rows) * h, len(FEATURES))`` for series ``rows`` forecast from period ``t``.

    Row ``k * h + (step - 1)`` is series ``rows[k]`` at ``step`` periods after the origin.
    """
    s = feat.season
    n = len(rows)
    wide = 4 * s
    steps = np.arange(1, h + 1)
    freq_days = 1 if s == 7 else 7
    target_dates = feat.dates[t] + pd.to_timedelta(steps * freq_days, unit="D")
    dow = target_dates.dayofweek.to_numpy() if s == 7 else np.zeros(h)
    is_holiday = np.array([d in holiday for d in target_dates], dtype=float) if s == 7 else np.zeros(h)
    m_short = feat.level(t, s)[rows]
    m_wide = feat.level(t, wide)[rows]
    m_long = feat.level(t, 13 * s)[rows]
    nz_wide = feat._window(feat.cum_nonzero, t, wide)[rows]
    nz_long = feat._window(feat.cum_nonzero, t, 13 * s)[rows]
    last = np.nan_to_num(feat.values[rows, t])
    last_sale = feat.last_sale[rows, t]
    age = t - feat.start[rows]
    since = np.where(last_sale >= 0, t - last_sale, age + 1)
    total_short = feat.total[max(t + 1 - s, 0):t + 1].mean()
    total_wide = feat.total[max(t + 1 - wide, 0):t + 1].mean()
    trend = total_short / total_wide if total_wide > 0 else 1.0
    same = _same_weekday(feat, t, h)[rows]
    share = same / np.maximum(m_wide, 1e-9)[:, None]
    if feat.price is not None:
        with warnings.catch_warnings():  # products without a sale in the window have no price
            warnings.simplefilter("ignore", RuntimeWarning)
            p_short = np.nanmean(feat.price[rows, max(t + 1 - wide, 0):t + 1], axis=1)
            p_long = np.nanmean(feat.price[rows, max(t + 1 - 13 * wide, 0):t + 1], axis=1)
        price_ratio = np.nan_to_num(p_short / p_long, nan=1.0, posinf=1.0, neginf=1.0)
    else:
        price_ratio = np.ones(n)

    def per_series(x: np.ndarray) -> np.ndarray:
        return np.repeat(x.astype(float), h)

    def per_step(x: np.ndarray) -> np.ndarray:
        return np.tile(np.asarray(x, dtype=float), n)

    columns = [
        per_step(steps), per_step(dow), per_step(is_holiday), per_series(m_short), per_series(m_wide),
        per_series(m_long), same.reshape(-1), share.reshape(-1), per_series(nz_wide), per_series(nz_long),
        per_series(last), per_series(np.minimum(since, 400)), per_series(np.minimum(age, 400)),
        np.full(n * h, trend), per_series(price_ratio),
    ]
    return np.column_stack(columns)
