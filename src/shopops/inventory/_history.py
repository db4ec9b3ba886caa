"""Daily demand of every product as a dense matrix (products × days), read from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shopops.errors import ShopopsError
from shopops.forecast import to_panel

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = ["DemandMatrix", "daily_demand"]

#: Daily demand as the warehouse defines it for forecasts and plans alike (model ``fact_demand_day``):
#: units on sale lines of real products minus the units cancelled the same day, never below 0. An
#: order placed and cancelled on one day (Online Retail's 80,995 units of 23843 on 2011-12-09) is
#: not demand to stock for.
_SALES_SQL = """
SELECT product_id, day, units, revenue
FROM fact_demand_day
WHERE (CAST(? AS DATE) IS NULL OR day <= CAST(? AS DATE))
"""
#: True demand (sales plus lost sales), known only for the simulated shop.
_TRUTH_SQL = """
SELECT t.product_id, t.date AS day, t.demand::DOUBLE AS units,
       t.demand * coalesce(p.unit_price, 0)::DOUBLE AS revenue
FROM fact_demand_truth t LEFT JOIN dim_product p USING (product_id)
WHERE (? IS NULL OR t.date <= ?)
"""


@dataclass(frozen=True)
class DemandMatrix:
    """Daily demand of ``n`` products over ``days`` consecutive days.

    Attributes
    ----------
    product_ids : ndarray of str, shape (n,)
    start : date
        The first day (column 0).
    units : ndarray of float, shape (n, days)
        Units demanded each day (0 on days without demand).
    revenue : ndarray of float, shape (n,)
        Sales value over the whole period (for ABC classes).
    """

    product_ids: np.ndarray
    start: date
    units: np.ndarray
    revenue: np.ndarray

    @property
    def days(self) -> int:
        """Number of days (columns)."""
        return int(self.units.shape[1])

    @property
    def end(self) -> date:
        """The last day."""
        end: date = (pd.Timestamp(self.start) + pd.Timedelta(days=self.days - 1)).date()
        return end

    def dates(self) -> pd.DatetimeIndex:
        """The days as a DatetimeIndex."""
        return pd.date_range(self.start, periods=self.days, freq="D")

    def subset(self, mask: np.ndarray) -> DemandMatrix:
        """The products where ``mask`` is true."""
        return DemandMatrix(self.product_ids[mask], self.start, self.units[mask], self.revenue[mask])

    @classmethod
    def from_long(cls, df: pd.DataFrame, start: date | None = None, end: date | None = None) -> DemandMatrix:
        """Build from a long frame with columns ``product_id, day, units`` (and optionally ``revenue``)."""
        missing = {"product_id", "day", "units"} - set(df.columns)
        if missing:
            raise ShopopsError(f"demand frame lacks the column(s) {', '.join(sorted(missing))}")
        if df.empty:
            raise ShopopsError("no demand history: the warehouse has no sale lines of products")
        days = pd.to_datetime(df["day"]).dt.normalize()
        first = pd.Timestamp(start) if start is not None else days.min()
        last = pd.Timestamp(end) if end is not None else days.max()
        keep = ((days >= first) & (days <= last)).to_numpy()
        n_days = int((last - first).days) + 1
        ids = np.unique(df["product_id"].astype(str).to_numpy())
        units = np.zeros((len(ids), n_days))
        revenue = np.zeros(len(ids))
        if keep.any():
            # The forecaster's layout of the same history; the planner counts the days before a product's
            # first sale as days without demand (0), where the forecaster leaves them out (NaN).
            long = pd.DataFrame({"unique_id": df["product_id"].astype(str).to_numpy()[keep], "ds": days[keep],
                                 "y": df["units"].to_numpy(dtype=float)[keep]})
            panel = to_panel(long, "D")
            rows = np.searchsorted(ids, panel.ids)
            col = int((panel.dates[0] - first).days)
            units[rows, col:col + len(panel.dates)] = np.nan_to_num(panel.values)
            if "revenue" in df.columns:
                np.add.at(revenue, np.searchsorted(ids, long["unique_id"].to_numpy()),
                          df["revenue"].fillna(0).to_numpy(dtype=float)[keep])
        return cls(np.asarray(ids, dtype=object), first.date(), units, revenue)


def daily_demand(reader: Reader, until: date | None = None, truth: bool = False) -> DemandMatrix:
    """Daily demand of every product, from the first to the last day of sales (or ``until``).

    Parameters
    ----------
    reader : Reader
        The shop's warehouse.
    until : date or None
        Use history up to and including this day only.
    truth : bool
        Read the true demand (``fact_demand_truth``, the simulated shop only) instead of sales.
        Sales are censored by stock-outs; the truth is not.
    """
    sql = _TRUTH_SQL if truth else _SALES_SQL
    df = reader.sql(sql, [until, until])
    if truth and df.empty:
        raise ShopopsError("no true demand in this warehouse (fact_demand_truth is empty); it exists only for "
                           "the simulated shop – use the sales instead")
    return DemandMatrix.from_long(df, end=until)
