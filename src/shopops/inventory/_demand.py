"""Demand over the lead time (and lead time + review period) as samples, per product.

Reorder points come from quantiles of the demand summed over the coming lead time plus review
period (the Lokad idea), not from daily quantiles: the sum of daily q95s is far above the q95 of
the sum for intermittent demand. Two sources of joint samples:

- :class:`BootstrapDemand` – a circular block bootstrap of recent history: one random start day
  per sample, the lead time drawn from its distribution, and the demand of that many consecutive
  days summed. Consecutive days keep the weekly pattern and the lumpiness.
- :class:`PathDemand` – sample paths of a probabilistic forecast (``shopops.forecast``), summed
  over the sampled lead time.
- :class:`ForecastDemand` – the same, with the forecaster refitted on the history it is handed (the
  planner's and the replay's interface), so the stock bought comes from the model whose forecast the
  user sees.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np
import pandas as pd

from shopops.errors import ShopopsError
from shopops.forecast import DemandForecaster, SamplePaths
from shopops.forecast import cap_outliers as forecast_cap
from shopops.inventory._classes import weekly_cv

__all__ = ["DEMAND_MODELS", "BootstrapDemand", "DemandSampler", "ForecastDemand", "LeadTimeDemand", "PathDemand",
           "cap_outliers", "draw_lead_times"]

#: The lead-time demand models a plan or a replay can use.
DEMAND_MODELS = ("bootstrap", "paths")


def cap_outliers(units: np.ndarray, factor: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Cut each product's one-off days: more than ``factor`` times its 90th-percentile selling day.

    The percentile is taken over the days with demand (the lower value, so one huge day does not
    lift it). Products with fewer than 3 selling days are left alone. The forecaster's cap with the
    planner's settings (see :func:`shopops.forecast.cap_outliers`).

    Returns
    -------
    capped : ndarray
        The demand with one-off days cut.
    cut : ndarray of bool
        Where a day was cut.
    """
    return forecast_cap(units, factor, min_sales=3, method="lower")


@dataclass(frozen=True)
class LeadTimeDemand:
    """Joint samples of demand over the lead time and over the lead time plus review period.

    Attributes
    ----------
    lead : ndarray, shape (n, m)
        Demand during the (sampled) lead time.
    lead_review : ndarray, shape (n, m)
        Demand during the same lead time plus the review period (same sample path).
    daily_mean : ndarray, shape (n,)
        Mean daily demand the samples were drawn from.
    """

    lead: np.ndarray
    lead_review: np.ndarray
    daily_mean: np.ndarray

    @property
    def review(self) -> np.ndarray:
        """Expected demand during one review period, shape (n,)."""
        return np.asarray((self.lead_review - self.lead).mean(axis=1))

    def take(self, rows: np.ndarray | list[int]) -> LeadTimeDemand:
        """The samples of the products at ``rows`` (repeats allowed)."""
        return LeadTimeDemand(self.lead[rows], self.lead_review[rows], self.daily_mean[rows])


def draw_lead_times(mean: np.ndarray, sd: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """Integer lead times in days (at least 1), shape (n, m), normal around ``mean`` with ``sd``."""
    lt = rng.normal(np.asarray(mean, float)[:, None], np.asarray(sd, float)[:, None], (len(mean), m))
    return np.maximum(np.rint(lt), 1).astype(np.int64)


class DemandSampler(Protocol):
    """What the planner and the replay need of a lead-time demand model."""

    window_days: int
    outlier_factor: float | None

    def sample(self, history: np.ndarray, lead_mean: np.ndarray, lead_sd: np.ndarray,
               review_days: np.ndarray) -> LeadTimeDemand:
        """Joint samples of lead-time (and lead-time plus review) demand per product."""
        ...

    def describe(self) -> str:
        """A few words on the model, for plan explanations."""
        ...


class BootstrapDemand:
    """Lead-time demand by circular block bootstrap of recent history, with catalogue-wide tails.

    Each sample sums ``L`` (or ``L + R``) consecutive days of a product's last ``window_days``,
    starting on a random day, ``L`` drawn from the lead-time distribution. Two corrections make the
    samples honest about the future rather than the past:

    - **pooled tails**: a share ``pool_share`` of the samples take the window from a random other
      product of similar variability (same fifth by weekly CV), scaled to this product's level.
      Wholesale demand has rare, very large orders (one in ten Online Retail units is sold on a day
      larger than anything the product saw in the previous quarter); a single product's history
      rarely shows them, the catalogue does.
    - **level**: samples are scaled to the larger of the window's mean and the median week of the
      last ``level_days``, so a product whose sales are picking up is not planned on its quiet past
      (the median, so that one big order does not count as a rise).

    Parameters
    ----------
    window_days : int
        Days of recent history sampled from.
    n_samples : int
        Samples per product.
    pool_share : float
        Share of samples drawn from the catalogue's scaled windows (0 disables pooling).
    level_days : int
        Days of the most recent level (0 disables the level correction).
    outlier_factor : float or None
        One-off days above this many times the product's usual large day are cut first
        (:func:`cap_outliers`), so a single wholesale order does not set the stock level for
        months; None keeps them.
    seed : int
        Seed of the sampling.
    """

    def __init__(self, window_days: int = 364, n_samples: int = 300, pool_share: float = 0.5,
                 level_days: int = 28, outlier_factor: float | None = 10.0, seed: int = 0) -> None:
        self.window_days = window_days
        self.n_samples = n_samples
        self.pool_share = pool_share
        self.level_days = level_days
        self.outlier_factor = outlier_factor
        self.seed = seed

    def sample(self, history: np.ndarray, lead_mean: np.ndarray, lead_sd: np.ndarray,
               review_days: np.ndarray) -> LeadTimeDemand:
        """Joint samples for each product (row of ``history``, daily units, oldest first)."""
        if history.ndim != 2 or history.shape[1] == 0:
            raise ShopopsError("demand history is empty: at least one day of history is needed")
        rng = np.random.default_rng(self.seed)
        if self.outlier_factor is not None:
            history = cap_outliers(history, self.outlier_factor)[0]
        window = history[:, -self.window_days:]
        n, w = window.shape
        m = self.n_samples
        mean = window.mean(axis=1)
        level = mean
        weeks = min(self.level_days, history.shape[1]) // 7
        if weeks:
            # The median week of the recent weeks: a rise shared by most of them, not one big order.
            recent = history[:, history.shape[1] - weeks * 7:].reshape(n, weeks, 7).sum(axis=2)
            level = np.maximum(mean, np.median(recent, axis=1) / 7)
        # Windows are sampled from scaled series: own rows, or another selling product's row.
        selling = np.flatnonzero(mean > 0)
        scaled = np.zeros_like(window)
        scaled[selling] = window[selling] / mean[selling, None]
        cum = np.zeros((n, w + 1))
        np.cumsum(scaled, axis=1, out=cum[:, 1:])
        row = np.broadcast_to(np.arange(n)[:, None], (n, m)).copy()
        if self.pool_share > 0 and selling.size:
            row = self._pool_rows(row, window, selling, rng)
        start = rng.integers(0, w, (n, m))
        lead = draw_lead_times(lead_mean, lead_sd, m, rng)
        review = np.asarray(review_days, dtype=np.int64)[:, None]

        def window_sum(length: np.ndarray) -> np.ndarray:
            full, rest = np.divmod(length, w)
            end = start + rest
            wraps = end > w
            inner = cum[row, np.where(wraps, w, end)] - cum[row, start]
            wrapped = cum[row, np.where(wraps, end - w, 0)]
            return np.asarray((full * cum[row, w] + inner + wrapped) * level[:, None])

        return LeadTimeDemand(window_sum(lead), window_sum(lead + review), level)

    def describe(self) -> str:
        """The bootstrap's window and pooled share."""
        return f"{self.window_days} d bootstrap, {self.pool_share:.0%} pooled tails"

    def _pool_rows(self, row: np.ndarray, window: np.ndarray, selling: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
        """Send a share of each product's samples to another selling product of similar variability.

        Products are put in five bins by the coefficient of variation of their weekly demand, so a
        steady seller borrows the tails of steady sellers, not of one-order-a-year products.
        """
        cv = np.nan_to_num(weekly_cv(window), posinf=1e6)
        edges = np.quantile(cv[selling], [0.2, 0.4, 0.6, 0.8])
        bins = np.searchsorted(edges, cv)
        members = selling[np.argsort(bins[selling], kind="stable")]
        counts = np.bincount(bins[selling], minlength=5)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pooled = rng.random(row.shape) < self.pool_share
        pooled &= counts[bins][:, None] > 0
        i, _ = np.nonzero(pooled)
        b = bins[i]
        row[pooled] = members[starts[b] + (rng.random(i.size) * counts[b]).astype(np.int64)]
        return row


class PathDemand:
    """Lead-time demand from sample paths of a probabilistic forecast.

    Parameters
    ----------
    paths : ndarray, shape (n, m, h)
        Future daily demand paths per product (``Forecaster.sample_paths``), day 1 first.
    seed : int
        Seed of the lead-time draws.
    """

    def __init__(self, paths: np.ndarray, seed: int = 0) -> None:
        self.paths = paths
        self.seed = seed

    window_days = 0
    outlier_factor: float | None = None

    def sample(self, history: np.ndarray, lead_mean: np.ndarray, lead_sd: np.ndarray,
               review_days: np.ndarray) -> LeadTimeDemand:
        """Joint samples; ``history`` is unused (the paths already hold the forecast)."""
        rng = np.random.default_rng(self.seed)
        lead = draw_lead_times(lead_mean, lead_sd, self.paths.shape[1], rng)
        return _sum_paths(self.paths, lead, lead + np.asarray(review_days, dtype=np.int64)[:, None])

    def describe(self) -> str:
        """The number of paths."""
        return f"{self.paths.shape[1]} forecast sample paths"


def _sum_paths(paths: np.ndarray, lead: np.ndarray, lead_review: np.ndarray) -> LeadTimeDemand:
    """Each path summed over its own sampled lead time (and lead time plus review)."""
    n, m, h = paths.shape
    if int(lead_review.max()) > h:
        raise ShopopsError(f"forecast paths cover {h} days, but lead time plus review period reach "
                           f"{int(lead_review.max())} days; forecast a longer horizon")
    cum = np.concatenate([np.zeros((n, m, 1)), np.cumsum(paths, axis=2, dtype=np.float64)], axis=2)
    take = np.take_along_axis
    return LeadTimeDemand(take(cum, lead[:, :, None], 2)[:, :, 0], take(cum, lead_review[:, :, None], 2)[:, :, 0],
                          paths.mean(axis=(1, 2)))


@dataclass
class ForecastDemand:
    """Lead-time demand from the forecaster's joint sample paths, refitted on the history handed to it.

    Each call fits :class:`~shopops.forecast.DemandForecaster` on the last ``window_days`` of the
    history (column 0 is ``first_day``), draws ``n_samples`` paths over the longest sampled lead time
    plus review period, and sums each path over its own lead time. The lead-time totals are kept per
    history, so replays of several targets over the same days fit once per review day.

    Parameters
    ----------
    first_day : date
        Date of the history's first column (weekdays matter: Online Retail never sells on Saturdays).
    n_samples : int
        Sample paths per product.
    window_days : int
        Days of history the forecaster is fitted on.
    forecaster : dict
        Keyword arguments of :class:`~shopops.forecast.DemandForecaster`.
    seed : int
        Seed of the lead times and of the paths.
    """

    first_day: date
    n_samples: int = 200
    window_days: int = 364
    forecaster: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    outlier_factor: float | None = None  # the forecaster caps bulk orders itself
    _kept: dict[tuple[Any, ...], LeadTimeDemand] = field(default_factory=dict, repr=False)

    def paths_for(self, history: np.ndarray, h: int) -> SamplePaths:
        """Sample paths ``(n, n_samples, h)`` of the ``h`` days after ``history``, rows in its order."""
        n, t = history.shape
        lo = max(t - self.window_days, 0)
        window = history[:, lo:]
        dates = pd.date_range(pd.Timestamp(self.first_day) + pd.Timedelta(days=lo), periods=window.shape[1])
        ids = np.arange(n).astype(str)
        selling = window.sum(axis=1) > 0
        paths = np.zeros((n, self.n_samples, h), dtype=np.float32)
        if not selling.any():
            return SamplePaths(ids, pd.date_range(dates[-1], periods=h + 1)[1:], paths)
        rows, cols = np.nonzero(np.broadcast_to(selling[:, None], window.shape))
        frame = pd.DataFrame({"unique_id": rows.astype(str), "ds": dates[cols], "y": window[rows, cols]})
        model = DemandForecaster(horizon=h, seed=self.seed, **self.forecaster).fit(frame)
        drawn = model.sample_paths(h, n_paths=self.n_samples, seed=self.seed)
        paths[drawn.ids.astype(int)] = drawn.paths
        return SamplePaths(ids, drawn.dates, paths)

    def sample(self, history: np.ndarray, lead_mean: np.ndarray, lead_sd: np.ndarray,
               review_days: np.ndarray) -> LeadTimeDemand:
        """Joint samples for each product (row of ``history``, daily units, oldest first)."""
        if history.ndim != 2 or history.shape[1] == 0:
            raise ShopopsError("demand history is empty: at least one day of history is needed")
        rng = np.random.default_rng(self.seed)
        lead = draw_lead_times(lead_mean, lead_sd, self.n_samples, rng)
        lead_review = lead + np.asarray(review_days, dtype=np.int64)[:, None]
        digest = hashlib.blake2b(history.tobytes(), digest_size=16)
        digest.update(lead_review.tobytes())
        digest.update(lead.tobytes())
        key = (history.shape, digest.hexdigest())
        if key not in self._kept:
            h = max(int(lead_review.max()), 1)
            self._kept[key] = _sum_paths(self.paths_for(history, h).paths, lead, lead_review)
        return self._kept[key]

    def describe(self) -> str:
        """The forecaster and the number of paths."""
        return f"{self.n_samples} sample paths of the demand forecaster fitted on {self.window_days} d"
