"""How well drops in orders are detected: injected incidents on real history, tuned on the first half only.

The order history is cut into 15-minute counts. The first half fits the hour-of-week baseline and
tunes each detector to at most ``max_false_per_day`` alarms per trading day on history with no
injected incident (the shop's own closures count as false alarms). The second half is scored:
incidents (drops of a share of orders for some hours, onsets drawn uniformly over trading hours,
one per replay, several seeds) are injected by thinning the counts, and each detector's alarms are
de-duplicated into episodes (an episode lasts while the condition holds). Beside each delay is the
statistical limit: the delay an exact Poisson test that knows the onset needs at the same level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from shopops.monitor._baseline import CountDetector, HourOfWeekBaseline, fit_baseline, poisson_stop_delay
from shopops.result import Result

__all__ = ["DetectionResult", "evaluate_detection"]

_ALPHAS = (0.2, 0.1, 0.05, 0.02, *(10.0 ** -k for k in np.arange(2.0, 12.5, 0.5)))


@dataclass(kw_only=True)
class DetectionResult(Result):
    """Detection scores per detector and scenario, and every injected incident with its outcome."""

    capability: ClassVar[str] = "monitor"
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    incidents: pd.DataFrame = field(default_factory=pd.DataFrame)

    def explain(self) -> str:
        """The scores as lines a person reads."""
        lines = [super().explain()]
        for row in self.scores.itertuples(index=False):
            lines.append(f"{row.scenario:>12} {row.detector:>14}: recall {row.recall:.0%}, median delay "
                         f"{row.median_delay_min:.0f} min (limit {row.limit_delay_min:.0f}), "
                         f"{row.false_per_day:.2f} false alarms/trading day, NAB {row.nab:.1f}")
        return "\n".join(lines)


def _episodes(alarm: np.ndarray, gap: int = 4) -> np.ndarray:
    """Indices where an alarm episode starts.

    One alert while the condition holds; a condition that clears for no more than ``gap`` windows raises no second
    one (an alert rule's ``resolve_after``).
    """
    hits = np.nonzero(alarm)[0]
    if hits.size == 0:
        return hits
    keep = np.concatenate([[True], np.diff(hits) > gap])
    return np.asarray(hits[keep], dtype=np.int64)


def _rolling_z(counts: np.ndarray, span: int, lookback: int) -> np.ndarray:
    s = pd.Series(counts).rolling(span, min_periods=span).sum()
    ref = s.shift(span)
    mean = ref.rolling(lookback, min_periods=lookback // 2).mean()
    std = ref.rolling(lookback, min_periods=lookback // 2).std()
    z = (s - mean) / std.replace(0.0, np.nan)
    return np.asarray(z.fillna(0.0), dtype="float64")


class _Detectors:
    """The three detectors compared, each a function of (starts, counts, level) -> alarm array."""

    def __init__(self, baseline: HourOfWeekBaseline) -> None:
        self.baseline = baseline

    def count_model(self, starts: np.ndarray, counts: np.ndarray, level: float) -> np.ndarray:
        p, _span = CountDetector(self.baseline, alpha=level).p_values(starts, counts)
        return p < level

    def threshold(self, starts: np.ndarray, counts: np.ndarray, level: float) -> np.ndarray:
        # A fixed rule operators write by hand: no order in the last `level` windows while the shop is open.
        span = int(level)
        rolling = pd.Series(counts).rolling(span, min_periods=span).sum().to_numpy()
        open_hours = self.baseline.expected(starts) * 60 / self.baseline.window_min >= 1.0  # 1 order an hour
        return np.asarray((rolling == 0) & open_hours, dtype=bool)

    def zscore(self, starts: np.ndarray, counts: np.ndarray, level: float) -> np.ndarray:
        return _rolling_z(counts, 4, 96 * 7) < -level


def _false_per_day(alarm: np.ndarray, starts: np.ndarray, mask: np.ndarray, trading_days: float) -> float:
    eps = _episodes(alarm)
    return float(np.sum(mask[eps])) / max(trading_days, 1.0) if len(eps) else 0.0


def _trading_days(starts: np.ndarray, counts: np.ndarray) -> float:
    days = pd.to_datetime(starts, unit="s").normalize()
    per_day = pd.Series(counts).groupby(days).sum()
    return float((per_day > 0).sum())


def _tune(fn: Callable[[np.ndarray, np.ndarray, float], np.ndarray], grid: tuple[float, ...], starts: np.ndarray,
          counts: np.ndarray, max_false: float, fastest_first: bool) -> float:
    days = _trading_days(starts, counts)
    everywhere = np.ones(len(starts), dtype=bool)
    ordered = grid if fastest_first else tuple(reversed(grid))
    for level in ordered:
        if _false_per_day(fn(starts, counts, level), starts, everywhere, days) <= max_false:
            return level
    return ordered[-1]


def _recall_where(delays: list[float | None], mask: list[bool]) -> float:
    """Recall among the incidents an exact test at the same level could detect within their duration at all."""
    chosen = [d for d, m in zip(delays, mask, strict=True) if m]
    return sum(d is not None for d in chosen) / max(len(chosen), 1)


def _nab(delays: list[float | None], window_min: float, false_alarms: int) -> float:
    """NAB standard profile (TP 1, FN -1, FP -0.11), scaled sigmoid of the position in the window, 0-100."""
    score = 0.0
    for d in delays:
        if d is None:
            score -= 1.0
        else:
            y = d / window_min - 1.0  # -1 at the onset, 0 at the end of the window
            score += 2.0 / (1.0 + np.exp(5.0 * y)) - 1.0
    score -= 0.11 * false_alarms
    null = -float(len(delays))
    perfect = float(len(delays)) * (2.0 / (1.0 + np.exp(-5.0)) - 1.0)
    return float(100.0 * (score - null) / (perfect - null)) if perfect != null else 0.0


def evaluate_detection(order_times: np.ndarray, *, scenarios: dict[str, tuple[float, float]] | None = None,
                       incidents_per_scenario: int = 40, seeds: int = 4, window_min: int = 15, tz: str = "UTC",
                       max_false_per_day: float = 0.2, seed: int = 0, label: str = "") -> DetectionResult:
    """Inject order drops into the second half of a history and score three detectors on them.

    Parameters
    ----------
    order_times : numpy.ndarray
        Unix seconds of every order placed.
    scenarios : dict
        Name -> (share of orders dropped, hours); default: full stops of 2 h and 80 % drops of 3 h.
    incidents_per_scenario : int
        Incidents injected per scenario, spread over ``seeds`` seeds.
    seeds : int
        Replays per scenario, each with its own onsets.
    window_min : int
        Window of the counts.
    tz : str
        The shop's time zone (hours of the week are local).
    max_false_per_day : float
        The false-alarm budget every detector is tuned to on the first half.
    seed : int
        Seed of the onsets and of the thinning.
    label : str
        Names the data in the result's parameters.
    """
    scenarios = scenarios or {"stop 2h": (1.0, 2.0), "drop80 3h": (0.8, 3.0)}
    times = np.sort(np.asarray(order_times, dtype="float64"))
    step = window_min * 60
    t0 = np.floor(times[0] / 86400) * 86400
    t1 = np.ceil(times[-1] / step) * step
    edges = np.arange(t0, t1 + step, step)
    counts, _ = np.histogram(times, bins=edges)
    starts = edges[:-1]
    half = len(starts) // 2
    baseline = fit_baseline(times[times < starts[half]], start=float(starts[0]), end=float(starts[half]),
                            window_min=window_min, tz=tz)
    det = _Detectors(baseline)
    train_s, train_c = starts[:half], counts[:half].astype("float64")
    levels = {
        "count model": _tune(det.count_model, _ALPHAS, train_s, train_c, max_false_per_day, fastest_first=True),
        "fixed threshold": _tune(det.threshold, tuple(float(k) for k in range(1, 49)), train_s, train_c,
                                 max_false_per_day, fastest_first=True),
        "rolling z": _tune(det.zscore, tuple(np.arange(1.0, 8.01, 0.25)), train_s, train_c, max_false_per_day,
                           fastest_first=True),
    }
    fns = {"count model": det.count_model, "fixed threshold": det.threshold, "rolling z": det.zscore}
    test_s, test_c = starts[half:], counts[half:]
    mu = baseline.expected(test_s)
    trading = np.nonzero(mu > 0)[0]
    days = _trading_days(test_s, test_c)
    rows, incident_rows = [], []
    rng = np.random.default_rng(seed)
    per_seed = max(1, incidents_per_scenario // seeds)
    for scenario, (share, hours) in scenarios.items():
        span = round(hours * 60 / window_min)
        outcome: dict[str, dict[str, Any]] = {n: {"delays": [], "false": 0} for n in fns}
        limits: list[float] = []
        for _s in range(seeds):
            onsets = np.sort(rng.choice(trading[trading < len(test_s) - span - 1], per_seed, replace=False))
            # Incidents of one replay are spaced out so that each one's alarm is its own.
            onsets = onsets[np.concatenate([[True], np.diff(onsets) > span + 96])]
            injected = test_c.copy()
            truth = np.zeros(len(test_c), dtype=bool)
            for o in onsets:
                injected[o:o + span] = rng.binomial(test_c[o:o + span], 1.0 - share)
                truth[o:o + span + 8] = True  # the episode may outlast the incident by up to 2 h
            model = CountDetector(baseline, alpha=levels["count model"])
            alpha_test = levels["count model"] / len(model.spans)
            busy = mu * model.level(test_s, test_c.astype("float64"))  # the expectation the detector holds
            limit_of = {}
            for o in onsets:
                lim = poisson_stop_delay(busy[o:o + span] * share, alpha_test)
                limit_of[o] = float(lim * window_min) if lim is not None else float("nan")
                limits.append(limit_of[o])
            for name, fn in fns.items():
                alarm = fn(test_s, injected.astype("float64"), levels[name])
                eps = _episodes(alarm)
                outcome[name]["false"] += int(np.sum(~truth[eps]))
                for o in onsets:
                    hit = np.nonzero(alarm[o:o + span])[0]
                    delay = float((hit[0] + 1) * window_min) if hit.size else None
                    outcome[name]["delays"].append(delay)
                    outcome[name].setdefault("detectable", []).append(not np.isnan(limit_of[o]))
                    incident_rows.append({"scenario": scenario, "detector": name, "onset": test_s[o],
                                          "expected": float(np.sum(busy[o:o + span])), "limit_min": limit_of[o],
                                          "detected": delay is not None, "delay_min": delay})
        for name in fns:
            delays = outcome[name]["delays"]
            found = [d for d in delays if d is not None]
            rows.append({"scenario": scenario, "detector": name, "level": levels[name], "incidents": len(delays),
                         "recall": len(found) / max(len(delays), 1),
                         "recall_detectable": _recall_where(delays, outcome[name]["detectable"]),
                         "median_delay_min": float(np.median(found)) if found else float("nan"),
                         "limit_delay_min": float(np.nanmedian(limits)) if limits else float("nan"),
                         "false_per_day": outcome[name]["false"] / max(days * seeds, 1.0),
                         "nab": _nab(delays, hours * 60, outcome[name]["false"])})
    return DetectionResult(
        model="hour-of-week negative-binomial baseline, multi-span count test (vs fixed threshold, rolling z)",
        params={"window_min": window_min, "tz": tz, "max_false_per_day": max_false_per_day, "seeds": seeds,
                "seed": seed, "label": label, "levels": levels, "nb_size": baseline.size},
        metrics={f"{r['scenario']}|{r['detector']}|recall": r["recall"] for r in rows},
        scores=pd.DataFrame(rows), incidents=pd.DataFrame(incident_rows))
