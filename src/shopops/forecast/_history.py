"""Demand history from the warehouse, checked and laid out as a (series x period) matrix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shopops._dates import parse_day
from shopops.errors import ShopopsError

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = ["FREQS", "LEVELS", "ForecastError", "Panel", "demand_history", "revenue_history", "to_panel"]

LEVELS = ("product", "category", "total")
FREQS = ("D", "W")


class ForecastError(ShopopsError):
    """Forecast input or settings are unusable (the message says which series, date or option)."""


def check_level(level: str) -> str:
    """Return ``level`` or raise if it is not one of :data:`LEVELS`."""
    if level not in LEVELS:
        raise ForecastError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return level


def check_freq(freq: str) -> str:
    """Return ``freq`` or raise if it is not ``D`` or ``W``."""
    if freq not in FREQS:
        raise ForecastError(f"freq must be D (daily) or W (weekly, weeks start on Monday), not {freq!r}")
    return freq


def _until(value: str | date | None) -> date | None:
    return parse_day(value, "until", ForecastError)


def _key(level: str) -> str:
    return {"product": "product_id", "category": "category", "total": "'total'"}[level]


def _daily(reader: Reader, level: str, until: date | None, value: str) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Daily sums of ``value`` (``units`` or ``revenue``) per series and the last day of the shop's history.

    Read from ``fact_demand_day``, the warehouse's one definition of demand (docs/data.md): units on
    sale lines of real products net of same-day cancellations, per product and day.
    """
    frame = reader.sql(
        f"""SELECT CAST({_key(level)} AS VARCHAR) AS unique_id, day AS ds, sum({value}) AS y
            FROM fact_demand_day
            WHERE CAST(? AS DATE) IS NULL OR day <= CAST(? AS DATE)
            GROUP BY ALL""",
        [until, until],
    )
    last = reader.sql("SELECT max(order_date) AS d FROM fact_order_line")["d"].iloc[0]
    if frame.empty or pd.isna(last):
        where = f" up to {until}" if until else ""
        raise ForecastError(f"no product sales in the warehouse at {reader.data_dir}{where}; ingest or simulate first")
    end = pd.Timestamp(last) if until is None else min(pd.Timestamp(last), pd.Timestamp(until))
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["y"] = frame["y"].astype(float)
    return frame, end


def _fill(frame: pd.DataFrame, end: pd.Timestamp, freq: str) -> pd.DataFrame:
    """Zero-fill each series from its first sale to ``end``; weeks are labelled by their Monday."""
    if freq == "W":
        frame = frame.assign(ds=frame["ds"] - pd.to_timedelta(frame["ds"].dt.dayofweek, unit="D"))
        frame = frame.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
        # An unfinished last week would look like a drop in demand: keep whole weeks only.
        last_monday = end - pd.Timedelta(days=int(end.dayofweek))
        end = last_monday if end.dayofweek == 6 else last_monday - pd.Timedelta(days=7)
        frame = frame[frame["ds"] <= end]
        if frame.empty:
            raise ForecastError(f"no complete week of sales up to {end + pd.Timedelta(days=6):%Y-%m-%d} (weeks run "
                                "Monday to Sunday and an unfinished last week is left out): use freq D or a "
                                "later until day")
    panel = to_panel(frame, freq)
    return panel.to_frame(end=end)


def demand_history(reader: Reader, level: str = "product", freq: str = "D",
                   until: str | date | None = None) -> pd.DataFrame:
    """Demand per series in long format ``unique_id, ds, y``.

    Demand is the warehouse's ``fact_demand_day``: units on sale lines of real products
    (``is_product``) net of the units cancelled the same day, never below 0; returns and
    non-product lines (postage, fees) are not demand. Each series is zero-filled from its first
    day of demand to the end of history.

    Parameters
    ----------
    reader : Reader
        The shop's warehouse.
    level : str
        ``product``, ``category`` or ``total``.
    freq : str
        ``D`` (days) or ``W`` (weeks from Monday; an unfinished last week is dropped).
    until : str or date or None
        Use only history up to and including this day (YYYY-MM-DD).
    """
    frame, end = _daily(reader, check_level(level), _until(until), "units")
    return _fill(frame, end, check_freq(freq))


def revenue_history(reader: Reader, level: str = "product", freq: str = "D",
                    until: str | date | None = None) -> pd.DataFrame:
    """Gross sales revenue of the demand lines, same layout as :func:`demand_history` (for weights)."""
    frame, end = _daily(reader, check_level(level), _until(until), "revenue")
    return _fill(frame, end, check_freq(freq))


@dataclass(frozen=True)
class Panel:
    """Series as a matrix: ``values[i, t]`` is the demand of ``ids[i]`` in period ``dates[t]``.

    Periods before a series' first observation are NaN.
    """

    ids: np.ndarray
    dates: pd.DatetimeIndex
    values: np.ndarray
    freq: str

    @property
    def start(self) -> np.ndarray:
        """Index of each series' first observed period."""
        observed = ~np.isnan(self.values)
        return np.where(observed.any(axis=1), observed.argmax(axis=1), len(self.dates))

    def to_frame(self, end: pd.Timestamp | None = None) -> pd.DataFrame:
        """Long format ``unique_id, ds, y`` (NaN cells dropped), optionally padded with zeros to ``end``."""
        values, dates = self.values, self.dates
        if end is not None and len(dates) and end > dates[-1]:
            extra = pd.date_range(dates[-1], end, freq=_offset(self.freq))[1:]
            values = np.hstack([values, np.zeros((len(self.ids), len(extra)))])
            dates = dates.append(extra)
        keep = ~np.isnan(values)
        rows, cols = np.nonzero(keep)
        return pd.DataFrame({"unique_id": self.ids[rows], "ds": dates[cols], "y": values[rows, cols]})


def _offset(freq: str) -> str:
    return "D" if freq == "D" else "W-MON"


def to_panel(df: pd.DataFrame, freq: str = "D") -> Panel:
    """Check a long ``unique_id, ds, y`` frame and lay it out as a :class:`Panel`.

    Gaps inside a series are filled with zero demand (no sale recorded = no demand); duplicate
    ``(unique_id, ds)`` rows, missing or negative ``y`` and unknown columns types are errors.
    """
    check_freq(freq)
    missing = [c for c in ("unique_id", "ds", "y") if c not in df.columns]
    if missing:
        raise ForecastError(f"the history needs columns unique_id, ds, y; missing {', '.join(missing)}")
    if df.empty:
        raise ForecastError("the history is empty: no rows of unique_id, ds, y")
    frame = df[["unique_id", "ds", "y"]].copy()
    frame["unique_id"] = frame["unique_id"].astype(str)
    try:
        frame["ds"] = pd.to_datetime(frame["ds"])
        frame["y"] = pd.to_numeric(frame["y"]).astype(float)
    except (ValueError, TypeError) as exc:
        raise ForecastError(f"the history has a ds that is not a date or a y that is not a number: {exc}") from None
    dup = frame.duplicated(["unique_id", "ds"], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        raise ForecastError(f"duplicate dates in the history: {int(dup.sum())} rows, e.g. series "
                            f"{first['unique_id']!r} on {first['ds']:%Y-%m-%d}; sum or drop them first")
    bad = frame["y"].isna() | ~np.isfinite(frame["y"]) | (frame["y"] < 0)
    if bad.any():
        first = frame[bad].iloc[0]
        raise ForecastError(f"y must be a finite number >= 0; {int(bad.sum())} rows are not, e.g. series "
                            f"{first['unique_id']!r} on {first['ds']:%Y-%m-%d} (y={first['y']})")
    if freq == "W" and (frame["ds"].dt.dayofweek != 0).any():
        raise ForecastError("weekly history must label each week by its Monday (ds on a Monday)")
    dates = pd.date_range(frame["ds"].min(), frame["ds"].max(), freq=_offset(freq))
    ids, codes = np.unique(frame["unique_id"].to_numpy(), return_inverse=True)
    col = dates.get_indexer(frame["ds"])
    if (col < 0).any():
        raise ForecastError("daily history must have whole dates (no times of day)")
    values = np.full((len(ids), len(dates)), np.nan)
    values[codes, col] = frame["y"].to_numpy()
    observed = ~np.isnan(values)
    first = np.where(observed.any(axis=1), observed.argmax(axis=1), len(dates))
    # Gaps after a series' first observation are days without sales: zero demand.
    after_start = np.arange(len(dates))[None, :] >= first[:, None]
    values[after_start & ~observed] = 0.0
    return Panel(ids=ids, dates=dates, values=values, freq=freq)


def stockout_days(reader: Reader, until: str | date | None = None) -> pd.DataFrame:
    """Product-days with no stock on hand at any location: ``unique_id, ds`` (empty without stock data).

    Sales on those days are censored: demand may have been higher than what could be sold.
    """
    day = _until(until)
    if "fact_inventory" not in reader.tables():
        return pd.DataFrame({"unique_id": pd.Series(dtype=str), "ds": pd.Series(dtype="datetime64[ns]")})
    frame = reader.sql(
        """SELECT CAST(product_id AS VARCHAR) AS unique_id, CAST(date AS TIMESTAMP) AS ds
           FROM fact_inventory WHERE (CAST(? AS DATE) IS NULL OR date <= CAST(? AS DATE))
           GROUP BY ALL HAVING sum(on_hand) <= 0""",
        [day, day],
    )
    frame["ds"] = pd.to_datetime(frame["ds"])
    return frame
