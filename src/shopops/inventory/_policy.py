"""Stock levels from demand samples: order-up-to levels for a fill rate, reorder points, classics.

Notation: ``D_L`` is demand over the lead time, ``D_LR`` over the lead time plus the review period,
``D_R`` over one review period. With order-up-to level ``S`` reviewed every ``R`` days, the expected
shortage in a cycle is ``E[(D_LR - S)+] - E[(D_L - S)+]`` and the fill rate (share of demand served
from stock) is ``1 - shortage / E[D_R]`` (Silver, Pyke & Thomas, ch. 7).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from shopops.errors import ShopopsError
from shopops.inventory._demand import LeadTimeDemand

__all__ = [
    "classic_levels",
    "eoq",
    "expected_fill",
    "expected_shortage",
    "newsvendor_quantity",
    "order_up_to_for_fill",
    "round_order",
]


def expected_excess(samples: np.ndarray, level: np.ndarray) -> np.ndarray:
    """``E[(X - level)+]`` per row of ``samples`` (shape (n, m)) for ``level`` of shape (n,)."""
    return np.asarray(np.maximum(samples - np.asarray(level, float)[:, None], 0.0).mean(axis=1))


def expected_shortage(ltd: LeadTimeDemand, level: np.ndarray) -> np.ndarray:
    """Expected units short in one review cycle with order-up-to ``level``."""
    return np.asarray(np.maximum(expected_excess(ltd.lead_review, level) - expected_excess(ltd.lead, level), 0.0))


def expected_fill(ltd: LeadTimeDemand, level: np.ndarray) -> np.ndarray:
    """Expected fill rate per product with order-up-to ``level`` (1 where no demand is expected)."""
    review = ltd.review
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = 1.0 - expected_shortage(ltd, level) / review
    return np.asarray(np.where(review > 0, np.clip(fill, 0.0, 1.0), 1.0))


def order_up_to_for_fill(ltd: LeadTimeDemand, target: np.ndarray | float, iterations: int = 40) -> np.ndarray:
    """The smallest whole order-up-to level per product whose expected fill rate reaches ``target``.

    The fill rate rises monotonically with the level, so a bisection per product (all products at
    once) finds it; the result is rounded up to a whole unit.
    """
    n = ltd.lead.shape[0]
    target = np.broadcast_to(np.asarray(target, dtype=float), (n,))
    if np.any((target <= 0) | (target >= 1)):
        raise ShopopsError("a service level must be between 0 and 1 (e.g. 0.95), exclusive")
    lo = np.zeros(n)
    hi = ltd.lead_review.max(axis=1).astype(float)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        ok = expected_fill(ltd, mid) >= target
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    return np.asarray(np.ceil(hi - 1e-9))


def classic_levels(daily_mean: np.ndarray, daily_sd: np.ndarray, lead_mean: np.ndarray, lead_sd: np.ndarray,
                   review_days: np.ndarray, service_level: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Textbook safety stock and order-up-to level under a normal demand assumption.

    ``SS = z * sqrt((L + R) * sd_d^2 + mean_d^2 * sd_L^2)``, ``S = mean_d * (L + R) + SS``, with ``z``
    the normal quantile of the service level (read as a cycle service level).

    Returns
    -------
    safety_stock, order_up_to : ndarray
    """
    z = stats.norm.ppf(np.asarray(service_level, dtype=float))
    cover = np.asarray(lead_mean, float) + np.asarray(review_days, float)
    sigma = np.sqrt(cover * np.square(daily_sd) + np.square(daily_mean) * np.square(lead_sd))
    safety = np.maximum(z * sigma, 0.0)
    return safety, np.ceil(daily_mean * cover + safety)


def newsvendor_quantity(season_demand: np.ndarray, unit_price: np.ndarray, unit_cost: np.ndarray,
                        salvage_value: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Order quantity of a one-off (seasonal) buy: the critical-ratio quantile of the season's demand.

    Parameters
    ----------
    season_demand : ndarray, shape (n, m)
        Samples of the demand over the whole season.
    unit_price, unit_cost, salvage_value : ndarray
        Selling price, purchase cost and the value of a unit left over after the season.

    Returns
    -------
    quantity, critical_ratio : ndarray
        The quantity per product and ``(price - cost) / (price - salvage)``.
    """
    under = np.asarray(unit_price, float) - np.asarray(unit_cost, float)
    over = np.asarray(unit_cost, float) - np.asarray(salvage_value, float)
    if np.any(under < 0):
        raise ShopopsError("newsvendor: a product sells below its cost; there is no profitable quantity")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(under + over > 0, under / (under + over), 0.0)
    quantity = np.array([np.quantile(row, r, method="inverted_cdf") for row, r in zip(season_demand, ratio,
                                                                                    strict=True)])
    return np.ceil(quantity), ratio


def eoq(annual_demand: np.ndarray, order_cost: float, unit_cost: np.ndarray, holding_rate: np.ndarray) -> np.ndarray:
    """Economic order quantity ``sqrt(2 K D / (h c))`` (0 where nothing is sold or nothing costs)."""
    denom = np.asarray(holding_rate, float) * np.asarray(unit_cost, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.sqrt(2.0 * order_cost * np.asarray(annual_demand, float) / denom)
    return np.asarray(np.where(np.isfinite(q), q, 0.0))


def round_order(quantity: np.ndarray, moq: np.ndarray, case_pack: np.ndarray) -> np.ndarray:
    """Round wanted quantities up to the minimum order quantity and to whole case packs (0 stays 0)."""
    qty = np.asarray(quantity, float)
    pack = np.maximum(np.asarray(case_pack, float), 1.0)
    qty = np.where(qty > 0, np.maximum(qty, np.asarray(moq, float)), 0.0)
    return np.asarray(np.ceil(qty / pack - 1e-9) * pack, dtype=np.int64)


def pooled_levels(ltd: LeadTimeDemand, unit_cost: np.ndarray, target: float, candidates: int = 48,
                  iterations: int = 50) -> np.ndarray:
    """Order-up-to levels that reach an overall fill rate ``target`` with the least stock value.

    Instead of the same fill rate for every product, each product gets the level where one more
    unit of money in stock removes as much expected shortage as anywhere else in the catalogue
    (a Lagrangian allocation): cheap, steady products are served near 100 %, expensive, erratic
    ones less. The overall fill rate – units served over units demanded, all products – reaches
    ``target``. The price of stock ``λ`` is found by bisection.

    Parameters
    ----------
    ltd : LeadTimeDemand
        Joint lead-time demand samples.
    unit_cost : ndarray, shape (n,)
        Value of one unit of stock per product.
    target : float
        Overall fill rate to reach.
    candidates : int
        Candidate levels per product (quantiles of the lead time + review demand).
    iterations : int
        Bisection steps on the price of stock.
    """
    if not 0 < target < 1:
        raise ShopopsError("a service level must be between 0 and 1 (e.g. 0.95), exclusive")
    probs = np.concatenate([[0.0], 1.0 - np.geomspace(0.6, 1e-3, candidates - 2), [1.0]])
    cand = np.ceil(np.quantile(ltd.lead_review, probs, axis=1).T)  # (n, k), rising along k
    short = np.stack([expected_shortage(ltd, cand[:, k]) for k in range(cand.shape[1])], axis=1)
    demand = float(ltd.review.sum())
    if demand <= 0:
        return np.zeros(len(unit_cost))
    cost = np.maximum(np.asarray(unit_cost, float), 1e-9)[:, None]
    rows = np.arange(len(cand))

    def pick(lam: float) -> tuple[np.ndarray, float]:
        k = np.argmin(short + lam * cost * cand, axis=1)
        return cand[rows, k], 1.0 - float(short[rows, k].sum()) / demand

    lo, hi = -12.0, 6.0  # log10 of the price of stock per unit of money
    for _ in range(iterations):
        mid = (lo + hi) / 2
        _, fill = pick(10.0**mid)
        lo, hi = (mid, hi) if fill >= target else (lo, mid)
    return pick(10.0**lo)[0]
