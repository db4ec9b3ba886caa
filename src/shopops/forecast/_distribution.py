"""The predictive distribution of every forecast cell: a hurdle negative binomial around the forecast.

Demand is a count with many zeros. Each cell ``(series, period)`` has its own P(y = 0), the series'
share of open days without a sale in recent weeks (open days: the shop sold something), and the days
with a sale are ``1 + NB(m - 1, phi)`` with ``m`` set so the cell's mean is the point forecast. The
dispersion ``phi`` is the series' own (of its recent sale sizes, shrunk towards the catalogue's) times
a factor calibrated on the inner backtest per pool of series (demand class x volume band). So a
steady seller's median is its typical day, the median is 0 exactly where P(y = 0) >= 0.5, and the
quantiles are ordered by construction.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

__all__ = ["BAND_EDGES", "SCALES", "Calibration", "calibrate", "dispersion", "hurdle_cdf", "hurdle_quantiles",
           "sample_paths", "size_dispersion", "volume_band", "zero_share"]

#: Edges of the volume bands in mean units per day (multiplied by 7 for weekly series).
BAND_EDGES = (0.2, 1.0, 5.0, 20.0)
#: Factors on the series' own dispersion tried per pool.
SCALES = np.geomspace(0.02, 50.0, 36)
_SHRINK = 5.0  # sales worth of the catalogue's dispersion added to a series' own
_PHI_RANGE = (1e-3, 50.0)
_MIN_CELLS = 400  # a pool with fewer cells borrows its band's (or all series') calibration
_MAX_CELLS = 12_000  # cells per pool used to calibrate (a seeded random subset beyond that)
_CHUNK = 256
_LEVELS = (0.05, 0.5, 0.8, 0.9, 0.95, 0.99)


def volume_band(level: np.ndarray, season: int) -> np.ndarray:
    """Volume band (0 = slowest) of each series from its mean demand per period."""
    edges = np.asarray(BAND_EDGES) * (7 if season == 1 else 1)
    return np.asarray(np.searchsorted(edges, np.asarray(level, float), side="right"))


def _nb_params(mean: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = 1.0 / np.maximum(phi, 1e-9)
    p = r / (r + np.maximum(mean, 1e-12))
    return r, p


def zero_share(values: np.ndarray, t: int, window: int, season: int) -> np.ndarray:
    """Share of the last ``window`` open periods up to ``t`` without a sale, per series (smoothed).

    Open periods are those with any sale in the shop (Online Retail never opens on Saturdays); periods
    before a series started do not count. ``(zeros + 0.5) / (open + 1)``: a series with few open
    periods is not certain either way.
    """
    lo = max(t + 1 - window, 0)
    part = values[:, lo:t + 1]
    is_open = (np.nan_to_num(part).sum(axis=0) > 0) if season > 1 else np.ones(part.shape[1], bool)
    seen = ~np.isnan(part) & is_open[None, :]
    zeros = (seen & (np.nan_to_num(part) <= 0)).sum(axis=1)
    return np.asarray((zeros + 0.5) / (seen.sum(axis=1) + 1.0))


def size_dispersion(values: np.ndarray, t: int, window: int) -> np.ndarray:
    """Each series' dispersion of sale sizes over the last ``window`` periods up to ``t``.

    Moments of ``1 + NB(m - 1, phi)`` on the periods with a sale, shrunk (on the log scale) towards
    the median of all series with three sales or more by ``_SHRINK`` sales' worth: a series with a
    handful of sales is mostly the catalogue's.
    """
    part = np.nan_to_num(values[:, max(t + 1 - window, 0):t + 1])
    sold = part > 0
    n = sold.sum(axis=1)
    sizes = np.where(sold, part - 1, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without sales
        mean = np.nanmean(sizes, axis=1)
        var = np.nanvar(sizes, axis=1)
        own = np.clip((var - mean) / mean ** 2, *_PHI_RANGE)
    enough = (n >= 3) & np.isfinite(own)
    prior = float(np.median(own[enough])) if enough.any() else 0.1
    weight = np.where(enough, n, 0.0)
    logged = (weight * np.log(np.where(enough, own, prior)) + _SHRINK * np.log(prior)) / (weight + _SHRINK)
    return np.asarray(np.exp(logged))


def _hurdle(mean: np.ndarray, zero: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(y = 0) and the mean minus one of a selling day, for cells of mean ``mean``.

    A selling day sells at least one unit, so a mean below ``1 - P(0)`` raises P(0) to ``1 - mean``.
    """
    p0 = np.maximum(np.broadcast_to(zero, mean.shape), 1.0 - np.maximum(mean, 0.0))
    extra = np.where(p0 < 1.0, np.maximum(mean, 0.0) / np.maximum(1.0 - p0, 1e-12) - 1.0, 0.0)
    return p0, np.maximum(extra, 0.0)


def hurdle_cdf(k: np.ndarray, mean: np.ndarray, zero: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """P(y <= k) of the hurdle negative binomial (0 for k < 0)."""
    p0, extra = _hurdle(mean, zero)
    k = np.floor(k)
    r, p = _nb_params(extra, phi)
    positive = np.where(extra <= 1e-12, 1.0, special.betainc(r, np.maximum(k - 1, 0) + 1, p))
    return np.asarray(np.where(k < 0, 0.0, np.where(k < 1, p0, p0 + (1 - p0) * positive)))


def hurdle_quantiles(mean: np.ndarray, zero: np.ndarray, phi: np.ndarray,
                     levels: tuple[float, ...] = _LEVELS) -> np.ndarray:
    """Quantiles ``(len(levels), *mean.shape)``: the smallest count ``k`` with P(y <= k) >= level."""
    mean = np.asarray(mean, float)
    p0, extra = _hurdle(mean, zero)
    phi = np.broadcast_to(np.asarray(phi, float), mean.shape)
    r, p = _nb_params(extra, phi)
    out = np.zeros((len(levels), *mean.shape))
    for j, level in enumerate(levels):
        selling = level > p0 + 1e-12
        if selling.any():
            inner = (level - p0[selling]) / (1 - p0[selling])
            out[j][selling] = 1 + np.where(extra[selling] <= 1e-12, 0.0,
                                           stats.nbinom.ppf(np.minimum(inner, 1 - 1e-12), r[selling], p[selling]))
    # Neighbouring levels can only tie, never cross; the running maximum guards rounding.
    return np.asarray(np.maximum.accumulate(np.nan_to_num(out), axis=0))


def _coverage_error(actual: np.ndarray, mean: np.ndarray, zero: np.ndarray, phi: np.ndarray) -> float:
    """Squared distance of P(y <= q_level) from the level, summed over the quantile levels.

    ``y <= q_level`` exactly when P(Y <= y - 1) < level, so one CDF per cell gives every level.
    """
    below = hurdle_cdf(np.ceil(actual) - 1, mean, zero, phi)
    return float(sum((np.mean(below < level) - level) ** 2 for level in _LEVELS))


@dataclass(frozen=True)
class Calibration:
    """Dispersion factor per pool (demand class x volume band), with the fallbacks, and the paths' correlation.

    ``table`` has one row per pool: ``class`` (``*`` for a band's fallback), ``band`` (-1 for the one
    of all series), ``cells``, ``scale`` (the factor on the series' own dispersion) and the
    inner-backtest coverage ``cover50``/``cover90``.
    """

    table: pd.DataFrame
    correlation: float

    def lookup(self, classes: np.ndarray, bands: np.ndarray) -> np.ndarray:
        """Dispersion factor of each series: its pool's, else its band's, else all series'."""
        rows = self.table[["class", "band", "scale"]].itertuples(index=False)
        keyed = {(str(c), int(b)): float(ph) for c, b, ph in rows}
        fallback = keyed[("*", -1)]
        return np.array([keyed.get((str(c), int(b)), keyed.get(("*", int(b)), fallback))
                         for c, b in zip(classes, bands, strict=True)], dtype=float)


def _fit_pool(actual: np.ndarray, forecast: np.ndarray, zero: np.ndarray, own: np.ndarray, weight: np.ndarray,
              rng: np.random.Generator) -> float:
    """The factor on the series' own dispersion whose quantiles are best calibrated on these cells.

    Cells are drawn half uniformly, half in proportion to their series' ``weight`` (revenue): the
    pool's many slow series sit at 0, covered by any dispersion, and would leave the factor to the
    few best sellers' chance otherwise.
    """
    shape = forecast.shape
    a, f = actual.reshape(-1), forecast.reshape(-1)
    z, o = np.broadcast_to(zero, shape).reshape(-1), np.broadcast_to(own, shape).reshape(-1)
    w = np.maximum(np.asarray(weight, float).reshape(-1), 0.0)
    # No series carries more than 5 % of a pool's weight: a pool of a few best sellers is not
    # calibrated on one of them alone.
    w = np.broadcast_to(np.minimum(w, 0.05 * w.sum())[:, None], shape).reshape(-1)
    p = np.full(a.size, 0.5 / a.size) + (0.5 * w / w.sum() if w.sum() > 0 else 0.5 / a.size)
    pick = rng.choice(a.size, min(_MAX_CELLS, 4 * a.size), replace=True, p=p / p.sum())
    a, f, z, o = a[pick], f[pick], z[pick], o[pick]

    def search(scales: np.ndarray) -> float:
        return float(min((_coverage_error(a, f, z, np.clip(k * o, *_PHI_RANGE)), float(k)) for k in scales)[1])

    # The error is unimodal in the factor: a coarse pass, then the neighbours of the best.
    k = int(np.argmin(np.abs(SCALES - search(SCALES[::5]))))
    return search(SCALES[max(k - 4, 0):k + 5])


def dispersion(scale: np.ndarray | float, own: np.ndarray) -> np.ndarray:
    """The cells' dispersion: the pool's factor times the series' own, within the grid's range."""
    return np.asarray(np.clip(scale * own, *_PHI_RANGE))


def _correlation(actual: np.ndarray, mean: np.ndarray) -> float:
    """Day-to-day correlation of each series' errors (lag 1), pooled over series that sell."""
    if actual.shape[1] < 2:
        return 0.0
    err = actual - mean
    sd = err.std(axis=1)
    ok = sd > 0
    if not ok.any():
        return 0.0
    z = (err[ok] - err[ok].mean(axis=1, keepdims=True)) / sd[ok, None]
    return float(np.clip((z[:, 1:] * z[:, :-1]).mean(), 0.0, 0.9))


def calibrate(actual: np.ndarray, forecast: np.ndarray, zero: np.ndarray, own: np.ndarray, classes: np.ndarray,
              bands: np.ndarray, weight: np.ndarray | None = None, seed: int = 0) -> Calibration:
    """Calibrate the dispersion factor per pool on inner-backtest cells (series x periods).

    ``zero`` is each series' P(y = 0) (:func:`zero_share`), ``own`` its dispersion
    (:func:`size_dispersion`), ``weight`` its revenue (default: equal). Pools with fewer than ``_MIN_CELLS``
    cells are not fitted: their series use the band's pool (all classes of that band), or the pool
    of all series.
    """
    rng = np.random.default_rng(seed)
    weight = np.ones(len(classes)) if weight is None else np.asarray(weight, float)
    rows = []
    pools = [("*", -1, np.ones(len(classes), bool))]
    pools += [("*", int(b), bands == b) for b in np.unique(bands)]
    pools += [(str(c), int(b), (classes == c) & (bands == b)) for c in np.unique(classes) for b in np.unique(bands)]
    for cls, band, member in pools:
        cells = int(member.sum()) * actual.shape[1]
        if cells < _MIN_CELLS and band != -1:
            continue
        z = zero[member, None]
        o = own[member, None]
        scale = _fit_pool(actual[member], forecast[member], z, o, weight[member, None], rng)
        below = hurdle_cdf(np.ceil(actual[member]) - 1, forecast[member], z,
                           np.broadcast_to(dispersion(scale, o), forecast[member].shape))
        rows.append({"class": cls, "band": band, "cells": cells, "scale": scale,
                     "cover50": float(np.mean(below < 0.5)), "cover90": float(np.mean(below < 0.9))})
    return Calibration(table=pd.DataFrame(rows), correlation=_correlation(actual, forecast))


def sample_paths(mean: np.ndarray, zero: np.ndarray, phi: np.ndarray, correlation: float, n_paths: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Joint paths ``(n, n_paths, h)`` whose every day follows the cell's hurdle negative binomial.

    A day sells with probability ``1 - P(0)``; a selling day sells ``1 + Poisson((m - 1) G)`` with
    ``G = (A + B_day) / r``, ``A ~ Gamma(rho r)`` shared by the path's days and ``B_day ~ Gamma((1 -
    rho) r)`` its own. ``G`` is Gamma(r)/r every day, so every day is exactly the cell's distribution
    (the paths keep the mean and the quantiles), and the days' sizes correlate by ``rho``, so a path
    keeps runs of high or low demand over a lead time.
    """
    n, h = mean.shape
    p0, extra = _hurdle(mean, zero[:, None])
    r = 1.0 / np.maximum(phi, 1e-9)
    rho = float(np.clip(correlation, 0.0, 1.0))
    out = np.zeros((n, n_paths, h), dtype=np.float32)
    for lo in range(0, n, _CHUNK):  # chunks of series bound the float64 temporaries
        part = slice(lo, min(lo + _CHUNK, n))
        rp = r[part][:, None, None]
        size = (rp.shape[0], n_paths, h)
        share = rng.gamma(np.maximum(rho * rp, 1e-12), 1.0, (rp.shape[0], n_paths, 1)) if rho > 0 else 0.0
        own = rng.gamma(np.maximum((1 - rho) * rp, 1e-12), 1.0, size) if rho < 1 else 0.0
        sells = rng.random(size) >= p0[part][:, None, :]
        out[part] = sells * (1 + rng.poisson(extra[part][:, None, :] * (share + own) / rp))
    return out
