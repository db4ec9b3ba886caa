"""Thompson sampling across creatives or campaigns, day by day, that shifts traffic to winners and stops losers.

Each arm's conversion rate has a Beta posterior. Every day the day's impressions are split by each
arm's probability of being the best (estimated from posterior draws); an arm whose probability of
being best stays below ``stop_below`` after ``min_impressions`` is stopped. Old evidence is discounted
(``discount`` per day) so a creative that wears out loses its lead instead of keeping it on old clicks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shopops.marketing._errors import MarketingDataError
from shopops.marketing._results import BanditResult

__all__ = ["ThompsonAllocator", "run_thompson"]


@dataclass
class ThompsonAllocator:
    """Beta-Bernoulli Thompson sampling with daily batches, discounting and stopping.

    Parameters
    ----------
    arms : sequence of str
    prior : (float, float)
        Beta prior of every arm's rate.
    discount : float
        Weight kept by yesterday's evidence each day (1 = never forget).
    stop_below : float
        Stop an arm whose P(best) falls below this ...
    min_impressions : int
        ... once it has had at least this many impressions.
    draws : int
        Posterior draws per day to estimate P(best).
    seed : int
    """

    arms: Sequence[str]
    prior: tuple[float, float] = (1.0, 1.0)
    discount: float = 0.98
    stop_below: float = 0.01
    min_impressions: int = 1000
    draws: int = 2000
    seed: int = 0
    successes_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    failures_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    shown_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stopped_: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if len(self.arms) < 2:
            raise MarketingDataError("a bandit needs at least two arms (creatives or campaigns) to choose between")
        k = len(self.arms)
        self.successes_, self.failures_ = np.zeros(k), np.zeros(k)
        self.shown_, self.stopped_ = np.zeros(k), np.zeros(k, dtype=bool)
        self._rng = np.random.default_rng(self.seed)

    def p_best(self) -> np.ndarray:
        """P(each arm has the highest rate) under the current posteriors (0 for stopped arms)."""
        a = self.prior[0] + self.successes_
        b = self.prior[1] + self.failures_
        sample = self._rng.beta(a[:, None], b[:, None], size=(len(a), self.draws))
        sample[self.stopped_] = -1.0
        wins = np.bincount(sample.argmax(axis=0), minlength=len(a))
        return np.asarray(wins / self.draws)

    def allocate(self, impressions: int) -> np.ndarray:
        """Impressions per arm for the next day."""
        share = self.p_best()
        return np.asarray(self._rng.multinomial(impressions, share / share.sum()))

    def update(self, shown: np.ndarray, conversions: np.ndarray) -> None:
        """Add a day's results (discounting the evidence so far) and stop the clear losers."""
        self.successes_ = self.successes_ * self.discount + conversions
        self.failures_ = self.failures_ * self.discount + (shown - conversions)
        self.shown_ += shown
        best = self.p_best()
        losing = (best < self.stop_below) & (self.shown_ >= self.min_impressions) & ~self.stopped_
        if (~(self.stopped_ | losing)).sum() >= 1:
            self.stopped_ |= losing


def run_thompson(arms: Sequence[str], respond: Callable[[int, np.ndarray], np.ndarray], *, days: int = 90,
                 impressions_per_day: int = 10_000, seed: int = 0, **options: float) -> BanditResult:
    """Run Thompson sampling for ``days``; ``respond(day, shown)`` returns each arm's conversions that day."""
    policy = ThompsonAllocator(arms, seed=seed, **options)  # type: ignore[arg-type]
    rows, stopped_on = [], {}
    for day in range(days):
        shown = policy.allocate(impressions_per_day)
        conv = np.asarray(respond(day, shown))
        before = policy.stopped_.copy()
        policy.update(shown, conv)
        best = policy.p_best()
        for k, arm in enumerate(arms):
            if policy.stopped_[k] and not before[k]:
                stopped_on[arm] = day
            rows.append({"day": day, "arm": arm, "impressions": int(shown[k]), "conversions": int(conv[k]),
                         "share": shown[k] / impressions_per_day, "p_best": float(best[k]),
                         "stopped": bool(policy.stopped_[k])})
    daily = pd.DataFrame(rows)
    totals = daily.groupby("arm", sort=False)[["impressions", "conversions"]].sum().reset_index()
    post = (policy.prior[0] + policy.successes_) / (sum(policy.prior) + policy.successes_ + policy.failures_)
    totals["posterior_rate"] = post
    totals["p_best"] = policy.p_best()
    totals["stopped_on_day"] = [stopped_on.get(a) for a in arms]
    return BanditResult(model="Thompson sampling (Beta-Bernoulli, daily batches, discounted, losers stopped)",
                        params={"days": days, "impressions_per_day": impressions_per_day, "seed": seed, **options},
                        metrics={"conversions": int(daily["conversions"].sum()),
                                 "stopped_arms": int(policy.stopped_.sum())}, daily=daily, arms=totals)
