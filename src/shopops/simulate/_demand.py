"""True daily demand per product: base rate x calendar x trend x lifecycle x promotions, with noise.

The expected demand (``DemandPlan.shape``) is built once; :func:`draw_demand` scales it to the
shop's size and draws negative-binomial units plus the odd bulk order. Demand is what customers
wanted: what the shop sells of it depends on stock (see ``_stock``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from shopops.simulate._calendar import black_friday, epoch_day
from shopops.simulate._catalogue import Catalogue
from shopops.simulate._categories import CATEGORIES
from shopops.simulate._seeds import stream
from shopops.simulate._types import BoolArray, FloatArray, IntArray

__all__ = ["DemandPlan", "draw_demand", "plan_demand"]

_PROMO_DEPTHS = np.array([0.1, 0.15, 0.2, 0.25, 0.3, 0.4])
_BULK_PER_UNIT = 0.0004  # chance that a unit of expected demand comes with a bulk order


@dataclass(frozen=True)
class DemandPlan:
    """Expected demand before the shop's size is applied, and the prices customers see.

    All matrices are (products, days).
    """

    shape: FloatArray  # expected demand up to a constant factor
    price_factor: FloatArray  # selling price / list price (below 1 on promotion days)
    active: BoolArray  # the product is on sale that day


def _lifecycle(catalogue: Catalogue, days: int) -> tuple[FloatArray, BoolArray]:
    """Ramp-up after launch, fade-out before discontinuation, and the on-sale mask."""
    t = np.arange(days)[None, :]
    launch = catalogue.launch_day[:, None]
    stop = catalogue.discontinue_day[:, None]
    active = (t >= launch) & (t <= stop)
    age = np.maximum(t - launch, 0)
    ramp = 1.0 - 0.85 * np.exp(-age / 21.0)  # new products take a few weeks to be found
    left = stop - t
    fade = np.where(left < 60, 0.35 + 0.65 * np.clip(left, 0, 60) / 60.0, 1.0)
    return np.where(active, ramp * fade, 0.0), active


def _promotions(catalogue: Catalogue, first_day: int, days: int, rng: np.random.Generator) -> FloatArray:
    """Price factor per product-day: random product promotions plus shop-wide sales events."""
    n = len(catalogue)
    factor = np.ones((n, days))
    # Product promotions: about 2.5 a year for the 70 % of products that are ever promoted.
    promoted = rng.random(n) < 0.7
    counts = np.where(promoted, rng.poisson(2.5 * days / 365.0, n), 0)
    product = np.repeat(np.arange(n), counts)
    start = rng.integers(0, days, product.size)
    length = rng.integers(3, 15, product.size)
    depth = rng.choice(_PROMO_DEPTHS, product.size)
    cell_product = np.repeat(product, length)
    cell_day = np.repeat(start, length) + _ranks(length)
    keep = cell_day < days
    np.minimum.at(factor, (cell_product[keep], cell_day[keep]), np.repeat(1.0 - depth, length)[keep])

    # Shop-wide: Black Friday to Cyber Monday, and the Boxing Day sale into January.
    end = datetime.date.fromordinal(datetime.date(1970, 1, 1).toordinal() + first_day + days - 1)
    start_date = datetime.date.fromordinal(datetime.date(1970, 1, 1).toordinal() + first_day)
    for year in range(start_date.year - 1, end.year + 1):
        for first, length_, share, depths in (
            (black_friday(year), 4, 0.4, (0.2, 0.25, 0.3)),
            (datetime.date(year, 12, 26), 9, 0.3, (0.15, 0.25, 0.4)),
        ):
            lo = epoch_day(first) - first_day
            window = slice(max(lo, 0), max(min(lo + length_, days), 0))
            if window.start >= window.stop:
                continue
            chosen = rng.random(n) < share
            cut = 1.0 - rng.choice(np.array(depths), n)
            factor[chosen, window] = np.minimum(factor[chosen, window], cut[chosen, None])
    return factor


def _ranks(lengths: IntArray) -> IntArray:
    """0, 1, ..., len-1 for each run of a repeat by ``lengths``."""
    total = int(lengths.sum())
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total) - starts


def plan_demand(catalogue: Catalogue, day_factors: FloatArray, trend: FloatArray, first_day: int,
                seed: int) -> DemandPlan:
    """Build the expected demand of every product on every day of the period.

    Parameters
    ----------
    catalogue : Catalogue
        The products.
    day_factors : ndarray
        Calendar multipliers per category and day, shape (categories, days).
    trend : ndarray
        The shop's size over time (mean 1), shape (days,); follows its customer base.
    first_day : int
        Epoch day of the first simulated day.
    seed : int
        Seed of the run.
    """
    rng = stream(seed, "promotions")
    days = trend.size
    lifecycle, active = _lifecycle(catalogue, days)
    price_factor = np.where(active, _promotions(catalogue, first_day, days, rng), 1.0)
    elasticity = np.array([c.elasticity for c in CATEGORIES])[catalogue.category][:, None]
    promo_lift = price_factor**elasticity
    years = np.arange(days)[None, :] / 365.0
    growth = np.exp(catalogue.growth[:, None] * years)
    shape = (catalogue.popularity[:, None] * day_factors[catalogue.category] * trend[None, :]
             * growth * lifecycle * promo_lift)
    return DemandPlan(shape=shape, price_factor=price_factor.astype(np.float32), active=active)


def draw_demand(plan: DemandPlan, catalogue: Catalogue, scale: float,
                seed: int) -> tuple[IntArray, IntArray]:
    """Draw daily demand: negative-binomial noise around ``scale * plan.shape`` plus bulk orders.

    Returns
    -------
    demand : ndarray of int64, shape (products, days)
        Units wanted, bulk orders included.
    bulk : ndarray of int64, shape (products, days)
        Units of a single bulk order within ``demand`` (0 on most days).
    """
    rng = stream(seed, "demand")
    mean = scale * plan.shape
    size = catalogue.dispersion[:, None]
    demand = rng.negative_binomial(np.broadcast_to(size, mean.shape), size / (size + mean)).astype(np.int64)
    # Now and then a business or a school orders in bulk: a single line of 20 to ~200 units.
    has_bulk = rng.random(mean.shape) < np.minimum(_BULK_PER_UNIT * mean, 0.2)
    bulk = np.where(has_bulk, 20 + rng.lognormal(3.0, 0.7, mean.shape).astype(np.int64), 0)
    return demand + bulk, bulk
