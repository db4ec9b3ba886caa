"""One cap for one-off demand (bulk orders), shared by the forecaster and the inventory planner."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

__all__ = ["cap_outliers"]


def cap_outliers(values: np.ndarray, factor: float, *, min_sales: int, method: Literal["linear", "lower"] = "linear",
                 pooled: bool = False, floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Cap each series' sale sizes at ``factor`` times its 90th percentile (at least ``floor``).

    Parameters
    ----------
    values : ndarray, shape (n_series, n_periods)
        Demand, 0 where nothing sold (no NaN).
    factor : float
        The cap in multiples of the series' 90th-percentile sale size (over periods with a sale).
    min_sales : int
        Series with fewer sales have no percentile of their own: they are left alone, or (``pooled``)
        capped at the 90th percentile of every series' sale sizes.
    method : str
        The quantile method of numpy (``lower``: a percentile that is an observed sale size, so one huge
        sale does not lift it).
    pooled : bool
        Cap series with fewer than ``min_sales`` sales at the pooled percentile instead of leaving them.
    floor : float
        The cap is never below this.

    Returns
    -------
    capped : ndarray
        ``values`` with the sales above the cap set to it.
    cut : ndarray of bool
        Where a value was capped.
    """
    sizes = np.where(values > 0, values, np.nan)
    enough = (values > 0).sum(axis=1) >= min_sales
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: series with too few sales
        own = np.nanquantile(np.where(enough[:, None], sizes, np.nan), 0.9, axis=1, method=method)
    fallback = factor * float(np.nanquantile(sizes, 0.9, method=method)) if pooled and (values > 0).any() \
        else np.inf
    cap = np.maximum(np.where(enough, factor * own, fallback), floor)[:, None]
    cut = values > cap
    return np.where(cut, cap, values), cut
