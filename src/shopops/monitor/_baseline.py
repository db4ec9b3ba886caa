"""What is normal for this hour of this weekday: an hour-of-week count baseline and a count-model detector.

The baseline holds, for each of the 168 hours of the week, the expected count per window (a trimmed
mean over the weeks of history, so a holiday or a one-off closure does not move it, while a day the
shop is always closed expects zero) and one negative-binomial dispersion pooled over the hours. The
detector asks, at every closed window, how likely the counts of the last 1, 2, 4, … windows are under
that model: a lower tail for drops (orders stopped), an upper tail for spikes (cancellations). Low
counts are where a Gaussian z-score fails and a count model does not: with 2 orders expected per
quarter-hour, one quiet quarter-hour means little, four in a row are very unlikely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from scipy import stats

from shopops.errors import ShopopsError

__all__ = ["CountDetector", "Detection", "HourOfWeekBaseline", "fit_baseline", "hour_of_week", "poisson_stop_delay"]

Direction = Literal["low", "high"]


def hour_of_week(starts: np.ndarray, tz: str) -> np.ndarray:
    """Hour of the week (0 = Monday 00:00 local time) of each Unix time in ``starts``."""
    local = pd.to_datetime(np.asarray(starts, dtype="float64"), unit="s", utc=True).tz_convert(ZoneInfo(tz))
    return np.asarray(local.dayofweek * 24 + local.hour, dtype=np.int64)


@dataclass
class HourOfWeekBaseline:
    """Expected count per window for each hour of the week, with a negative-binomial dispersion.

    Attributes
    ----------
    mean : numpy.ndarray
        168 expected counts per window, Monday 00:00 first (local time ``tz``).
    size : float
        Negative-binomial size ``r`` (variance ``mu + mu²/r``); ``inf`` means Poisson.
    """

    kpi: str
    window_min: int
    tz: str
    mean: np.ndarray
    size: float
    weeks: int

    def expected(self, starts: np.ndarray) -> np.ndarray:
        """The expected count of the windows starting at ``starts`` (Unix seconds)."""
        return np.asarray(self.mean[hour_of_week(starts, self.tz)], dtype="float64")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kpi": self.kpi, "window_min": self.window_min, "tz": self.tz, "mean": [round(float(m), 6)
                for m in self.mean], "size": None if math.isinf(self.size) else self.size, "weeks": self.weeks}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HourOfWeekBaseline:
        """Read :meth:`to_json`."""
        mean = np.asarray(data["mean"], dtype="float64")
        if mean.shape != (168,):
            raise ShopopsError(f"baseline of {data.get('kpi')!r}: 168 hourly values expected, got {mean.shape}")
        size = math.inf if data.get("size") is None else float(data["size"])
        return cls(str(data["kpi"]), int(data["window_min"]), str(data.get("tz", "UTC")), mean, size,
                   int(data.get("weeks", 0)))


def fit_baseline(times: np.ndarray, *, start: float, end: float, kpi: str = "orders", window_min: int = 15,
                 tz: str = "UTC", trim: float = 0.2) -> HourOfWeekBaseline:
    """Fit the hour-of-week baseline from event times.

    Parameters
    ----------
    times : numpy.ndarray
        Unix seconds of the events counted (e.g. every ``order_placed``).
    start, end : float
        The history used, ``[start, end)``; hours with no event in it count as zero.
    kpi : str
        The KPI counted (a label kept with the baseline).
    window_min : int
        The window the baseline predicts counts for.
    tz : str
        The shop's time zone: hours of the week are local.
    trim : float
        Share of weeks cut at each end before the mean (holidays, one-off closures, promotions).
    """
    if end - start < 7 * 86400:
        raise ShopopsError(f"a baseline needs at least one week of history, got {(end - start) / 86400:.1f} days")
    if 60 % window_min:
        raise ShopopsError(f"window_min must divide an hour (1, 5, 15, 30 or 60), not {window_min}")
    step = window_min * 60.0
    edges = np.arange(math.floor(start / 3600) * 3600, end, step)
    counts, _ = np.histogram(np.asarray(times, dtype="float64"), bins=np.append(edges, edges[-1] + step))
    how = hour_of_week(edges, tz)
    weeks = int((edges[-1] - edges[0]) // (7 * 86400)) + 1
    per_window = np.zeros(168)
    mus, excess = [], []
    for h in range(168):
        values = np.sort(counts[how == h].astype("float64"))
        if values.size == 0:
            continue
        cut = int(values.size * trim)
        kept = values[cut:values.size - cut] if values.size - 2 * cut > 1 else values
        per_window[h] = float(kept.mean())
        if kept.size > 1 and per_window[h] > 0:
            mus.append(per_window[h])
            excess.append(float(kept.var(ddof=1)) - per_window[h])
    # One dispersion pooled over the hours (variance = mu + mu^2 / r, method of moments on the trimmed counts).
    mu2 = float(np.sum(np.square(mus)))
    extra = float(np.sum(excess))
    size_w = mu2 / extra if extra > 0 else math.inf
    return HourOfWeekBaseline(kpi, window_min, tz, per_window, size_w, weeks)


@dataclass(frozen=True)
class Detection:
    """The most significant span at one moment."""

    p_value: float
    span: int
    observed: float
    expected: float


def _tail(observed: np.ndarray, expected: np.ndarray, variance: np.ndarray, direction: Direction) -> np.ndarray:
    observed = np.asarray(observed, dtype="float64")
    expected = np.maximum(np.asarray(expected, dtype="float64"), 1e-9)
    excess = np.asarray(variance, dtype="float64") - expected
    over = excess > 1e-9
    p = np.ones_like(observed)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(over, expected ** 2 / np.where(over, excess, 1.0), 1.0)
        prob = np.where(over, r / (r + expected), 0.5)
        if direction == "low":
            nb = stats.nbinom.cdf(observed, r, prob)
            po = stats.poisson.cdf(observed, expected)
        else:
            nb = stats.nbinom.sf(observed - 1, r, prob)
            po = stats.poisson.sf(observed - 1, expected)
    p = np.where(over, nb, po)
    return np.asarray(p, dtype="float64")


class CountDetector:
    """Multi-span count test against an hour-of-week baseline.

    Parameters
    ----------
    baseline : HourOfWeekBaseline
        What is normal.
    direction : {"low", "high"}
        Drops or spikes.
    alpha : float
        The level of the whole test (Bonferroni over the spans); tune it on history for the false-alarm rate.
    spans : tuple of int
        How many windows each test looks back over.
    min_expected : float
        A span expecting fewer events than this is not tested (nothing could be significant).
    adapt : bool
        Scale the baseline by the shop's level over the past week (see :meth:`level`).
    """

    def __init__(self, baseline: HourOfWeekBaseline, *, direction: Direction = "low", alpha: float = 1e-4,
                 spans: tuple[int, ...] = (1, 2, 4, 8, 16), min_expected: float = 1.0, adapt: bool = True) -> None:
        self.adapt = adapt
        self.baseline = baseline
        self.direction = direction
        self.alpha = alpha
        self.spans = spans
        self.min_expected = min_expected

    def level(self, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """How busy the shop is against its baseline: observed / expected over the week before each window.

        The week ends ``max(spans)`` windows back, so an incident being tested does not lower its own yardstick;
        the factor follows growth and seasons that a baseline fitted on older history cannot know.
        """
        mu = self.baseline.expected(starts)
        week = int(7 * 24 * 60 / self.baseline.window_min)
        lag = max(self.spans)
        c_obs = np.concatenate([[0.0], np.cumsum(counts)])
        c_mu = np.concatenate([[0.0], np.cumsum(mu)])
        idx = np.arange(len(counts))
        hi = np.maximum(idx - lag, 0)
        lo = np.maximum(hi - week, 0)
        obs, exp = c_obs[hi] - c_obs[lo], c_mu[hi] - c_mu[lo]
        factor = np.where(exp >= 20 * self.min_expected, (obs + 1.0) / (exp + 1.0), 1.0)
        return np.asarray(np.clip(factor, 0.33, 3.0), dtype="float64")

    def p_values(self, starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The Bonferroni-corrected p-value at each window of a series, and the span that gave it."""
        mu = self.baseline.expected(starts) * (self.level(starts, counts) if self.adapt else 1.0)
        r = self.baseline.size
        var1 = mu + (mu ** 2 / r if math.isfinite(r) else 0.0)
        c_obs, c_mu, c_var = (np.concatenate([[0.0], np.cumsum(a)]) for a in (counts, mu, var1))
        n = len(counts)
        best = np.ones(n)
        span_of = np.zeros(n, dtype=np.int64)
        idx = np.arange(1, n + 1)
        for span in self.spans:
            lo = np.maximum(idx - span, 0)
            obs, exp, var = c_obs[idx] - c_obs[lo], c_mu[idx] - c_mu[lo], c_var[idx] - c_var[lo]
            p = _tail(obs, exp, var, self.direction) * len(self.spans)
            p = np.where((exp >= self.min_expected) & (idx >= span), p, 1.0)
            better = p < best
            best = np.where(better, p, best)
            span_of = np.where(better, span, span_of)
        return np.minimum(best, 1.0), span_of

    def detect(self, starts: np.ndarray, counts: np.ndarray) -> Detection:
        """The test at the last window of ``starts``/``counts`` (the most recent closed windows)."""
        starts, counts = np.asarray(starts), np.asarray(counts, dtype="float64")
        p, span = self.p_values(starts, counts)
        s = int(span[-1]) or 1
        level = self.level(starts, counts)[-1] if self.adapt else 1.0
        mu = self.baseline.expected(starts[-s:]) * level
        return Detection(float(p[-1]), s, float(np.sum(np.asarray(counts)[-s:])), float(np.sum(mu)))


def poisson_stop_delay(expected: np.ndarray, alpha: float) -> int | None:
    """The statistical limit for a full stop: windows until zero events is significant at ``alpha``.

    An exact Poisson test that knows the onset rejects "nothing is wrong" once ``P(0 | mu) = exp(-mu) < alpha``
    for the expected count ``mu`` accumulated since the onset; no detector at that level can be faster.
    """
    cum = np.cumsum(np.asarray(expected, dtype="float64"))
    hit = np.nonzero(np.exp(-cum) < alpha)[0]
    return int(hit[0]) + 1 if hit.size else None
