"""Sales of every product or category over any date range, from running totals held in memory.

The warehouse keeps, per product and per category (``agg_sales_cum``), the running totals of its
daily sales on each day it has lines. The totals between days ``a`` and ``b`` are the last running
total on or before ``b`` minus the last one before ``a``: two look-ups per key (one row of a
day-by-key array, or binary searches), vectorised over all keys, instead of a scan of the order
lines. A :class:`SalesIndex` is loaded once per warehouse build (:func:`sales_index` caches it in the
Reader) and answers a range in well under a millisecond. Money is held as integer millionths (the
models' DECIMAL), so a range's total is exact and equal amounts tie exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopops.errors import ShopopsError
from shopops.warehouse._reader import Identity, Reader, Snapshot

__all__ = ["RangeTotals", "SalesIndex", "catalogue", "sales_index"]

Kind = Literal["product", "category"]
_EPOCH = date(1970, 1, 1)
_MICRO = 1_000_000
_SHIFT = 1 << 21  # the band of days one key has in the search codes (5,700 years of history)
_MEASURES = ("lines", "units", "gross_sales", "net_sales", "orders")

I64 = npt.NDArray[np.int64]


def _day(d: date) -> int:
    return (d - _EPOCH).days


@dataclass(frozen=True)
class RangeTotals:
    """The sales of every key with a line in a date range (arrays aligned by position).

    Attributes
    ----------
    keys : numpy.ndarray
        Product ids or categories (object array of str).
    units, orders : numpy.ndarray
        Units sold and distinct orders with a sale (int64).
    gross_sales, net_sales : numpy.ndarray
        Money as float64 (from exact integer millionths).
    net_micro, gross_micro : numpy.ndarray
        Net and gross sales in integer millionths: sort on them, so that equal amounts tie exactly.
    positions : numpy.ndarray
        Each key's position in :attr:`SalesIndex.keys` (its rank in key order), to look up its labels.
    """

    keys: npt.NDArray[np.object_]
    units: I64
    gross_sales: npt.NDArray[np.float64]
    net_sales: npt.NDArray[np.float64]
    orders: I64
    net_micro: I64
    gross_micro: I64
    positions: I64

    def __len__(self) -> int:
        return len(self.keys)

    def frame(self) -> pd.DataFrame:
        """The totals as a DataFrame (``key, units, gross_sales, net_sales, orders``)."""
        return pd.DataFrame({"key": self.keys, "units": self.units, "gross_sales": self.gross_sales,
                             "net_sales": self.net_sales, "orders": self.orders})


class SalesIndex:
    """Running sales totals of every product (or category) in memory; see the module docstring.

    Build one with :meth:`load` (or :func:`sales_index`, cached per build), then ask :meth:`totals`.
    When days × keys is small enough (``dense_max_bytes``), the running totals are also laid out as
    one row per day holding every key's totals, so a range reads two contiguous rows; otherwise each
    key's totals are found by binary search in the sparse rows.
    """

    #: Most memory the day-by-key layout may take (bytes); beyond it, binary searches in the sparse rows.
    dense_max_bytes = 256 * 2**20

    def __init__(self, kind: Kind, keys: list[str], key_of_row: I64, day: I64, cum: dict[str, I64],
                 span_key: I64, span_order: I64, span_day: I64,
                 labels: dict[str, npt.NDArray[np.object_]] | None = None,
                 identity: Identity | None = None) -> None:
        self.kind = kind
        #: The warehouse build the index was read from.
        self.identity = identity
        self.keys = np.array(keys, dtype=object)
        #: Per key (aligned with ``keys``): a product's ``name`` and ``category``; nothing for categories.
        self.labels = labels or {}
        # Days count from the first day held, so that every search code stays inside its key's band.
        self._day0 = int(day.min()) if len(day) else 0
        self._days = int(day.max()) - self._day0 if len(day) else 0
        self._codes = key_of_row * _SHIFT + (day - self._day0)
        self._day = day
        self._key_of_row = key_of_row
        self._cum = cum
        self._span = (span_key, span_order, span_day)
        self._positions = np.arange(len(keys), dtype=np.int64)
        self._dense = self._densify() if (self._days + 2) * len(_MEASURES) * len(keys) * 8 <= self.dense_max_bytes \
            else None
        self.first_day = _EPOCH + timedelta(days=int(day.min())) if len(day) else None
        self.last_day = _EPOCH + timedelta(days=int(day.max())) if len(day) else None

    @classmethod
    def load(cls, snap: Snapshot, kind: Kind) -> SalesIndex:
        """Read the running totals of ``kind`` (``agg_sales_cum``) and its spanning orders of one build."""
        if kind not in ("product", "category"):
            raise ShopopsError(f"kind must be 'product' or 'category', not {kind!r}")
        rows = snap.arrow(
            "SELECT key, CAST(day - DATE '1970-01-01' AS BIGINT) AS day, lines, units, "
            f"CAST(gross_sales * {_MICRO} AS BIGINT) AS gross_sales, "
            f"CAST(net_sales * {_MICRO} AS BIGINT) AS net_sales, orders FROM agg_sales_cum WHERE kind = ? "
            "ORDER BY key, day", [kind])
        keys_col = rows.column("key").to_numpy(zero_copy_only=False)
        # Rows are sorted by key: a key's number is how many distinct keys come before it.
        starts = np.flatnonzero(np.r_[True, keys_col[1:] != keys_col[:-1]]) if len(keys_col) else np.array([], int)
        keys = [str(k) for k in keys_col[starts]]
        key_of_row = (np.cumsum(np.r_[0, keys_col[1:] != keys_col[:-1]]).astype(np.int64) if len(keys_col)
                      else np.array([], dtype=np.int64))
        cum = {m: rows.column(m).to_numpy().astype(np.int64) for m in _MEASURES}
        span = snap.arrow("SELECT key, order_id, CAST(day - DATE '1970-01-01' AS BIGINT) AS day FROM agg_order_span "
                          "WHERE kind = ?", [kind])
        number = {k: i for i, k in enumerate(keys)}
        span_key = np.array([number[str(k)] for k in span.column("key").to_pylist()], dtype=np.int64)
        _, span_order = np.unique(np.array(span.column("order_id").to_pylist(), dtype=object), return_inverse=True)
        labels: dict[str, npt.NDArray[np.object_]] = {}
        if kind == "product":
            named = snap.frame("SELECT a.key AS product_id, any_value(p.name) AS name, min(a.category) AS category "
                               "FROM agg_sales_day a LEFT JOIN dim_product p ON p.product_id = a.key "
                               "WHERE a.kind = 'product' GROUP BY a.key")
            named = named.set_index("product_id").reindex(keys)
            labels = {c: np.array([None if pd.isna(v) else str(v) for v in named[c]], dtype=object)
                      for c in ("name", "category")}
        return cls(kind, keys, key_of_row, rows.column("day").to_numpy().astype(np.int64), cum, span_key,
                   span_order.astype(np.int64).reshape(-1), span.column("day").to_numpy().astype(np.int64), labels,
                   snap.identity)

    def _densify(self) -> npt.NDArray[np.int64]:
        """Running totals as ``[day + 1, measure, key]``: row ``i`` holds the totals through day ``i - 1``."""
        dense = np.zeros((self._days + 2, len(_MEASURES), len(self.keys)), dtype=np.int64)
        first_of_key = np.r_[True, self._key_of_row[1:] != self._key_of_row[:-1]] if len(self._day) else None
        for m, name in enumerate(_MEASURES):
            cum = self._cum[name]
            daily = np.where(first_of_key, cum, cum - np.r_[0, cum[:-1]]) if first_of_key is not None else cum
            dense[self._day - self._day0 + 1, m, self._key_of_row] = daily
        np.cumsum(dense, axis=0, out=dense)
        return dense

    def _at(self, day: int, *, before: bool) -> tuple[I64, npt.NDArray[np.bool_]]:
        """Per key, the row of its last running total on or before ``day`` (strictly before when ``before``)."""
        targets = self._positions * _SHIFT + day
        rows = np.searchsorted(self._codes, targets, side="left" if before else "right") - 1
        ok = rows >= 0
        ok[ok] = self._key_of_row[rows[ok]] == self._positions[ok]
        return np.where(ok, rows, 0), ok

    def totals(self, start: date | None = None, end: date | None = None) -> RangeTotals:
        """The sales of each key with at least one line between ``start`` and ``end`` (inclusive).

        Keys come in index order (sorted); a key with lines only outside the range is left out.
        """
        if self.first_day is None or (start is not None and end is not None and start > end):
            return self._empty()
        lo = min(max(_day(start) - self._day0, 0), self._days + 1) if start is not None else 0
        hi = min(max(_day(end) - self._day0, -1), self._days) if end is not None else self._days
        if self._dense is not None:
            rows = self._dense[hi + 1] - self._dense[lo]
            diff = {name: rows[m] for m, name in enumerate(_MEASURES)}
        else:
            hi_rows, hi_ok = self._at(hi, before=False)
            lo_rows, lo_ok = self._at(lo, before=True)
            diff = {m: np.where(hi_ok, c[hi_rows], 0) - np.where(lo_ok, c[lo_rows], 0) for m, c in self._cum.items()}
        orders = diff["orders"] - self._overcount(lo, hi)
        keep = diff["lines"] > 0
        return RangeTotals(self.keys[keep], diff["units"][keep], diff["gross_sales"][keep] / _MICRO,
                           diff["net_sales"][keep] / _MICRO, orders[keep], diff["net_sales"][keep],
                           diff["gross_sales"][keep], self._positions[keep])

    def _overcount(self, lo: int, hi: int) -> I64:
        """Per key, the orders counted on more than one day of the range (their extra days)."""
        span_key, span_order, span_day = self._span
        inside = (span_day >= lo + self._day0) & (span_day <= hi + self._day0)
        extra = np.zeros(len(self.keys), dtype=np.int64)
        if not inside.any():
            return extra
        key, order = span_key[inside], span_order[inside]
        pairs = np.unique(key * (int(span_order.max()) + 1) + order)
        np.add.at(extra, key, 1)
        np.subtract.at(extra, pairs // (int(span_order.max()) + 1), 1)
        return extra

    def _empty(self) -> RangeTotals:
        none = np.array([], dtype=np.int64)
        return RangeTotals(np.array([], dtype=object), none, none / 1.0, none / 1.0, none, none, none, none)

    def series(self, key: str, grain: Literal["day", "week", "month"], start: date | None = None,
               end: date | None = None) -> list[tuple[date, int, float]]:
        """``(period_start, units, net_sales)`` of one key per day, ISO week or month with lines in the range."""
        found = np.searchsorted(self.keys, key) if len(self.keys) else 0
        if found >= len(self.keys) or self.keys[found] != key:
            return []
        first = int(np.searchsorted(self._codes, found * _SHIFT, side="left"))
        last = int(np.searchsorted(self._codes, (found + 1) * _SHIFT, side="left"))
        days = self._day[first:last]
        daily = {m: np.diff(self._cum[m][first:last], prepend=0) for m in ("lines", "units", "net_sales")}
        inside = np.ones(len(days), dtype=bool)
        if start is not None:
            inside &= days >= _day(start)
        if end is not None:
            inside &= days <= _day(end)
        days = days[inside]
        if grain == "day":
            period = days
        elif grain == "week":  # 1970-01-01 was a Thursday: Monday is 3 days before
            period = days - (days + 3) % 7
        elif grain == "month":
            months = days.astype("datetime64[D]").astype("datetime64[M]")
            period = months.astype("datetime64[D]").astype(np.int64)
        else:
            raise ShopopsError(f"grain must be day, week or month, not {grain!r}")
        if not len(period):
            return []
        starts = np.flatnonzero(np.r_[True, period[1:] != period[:-1]])
        units = np.add.reduceat(daily["units"][inside], starts)
        net = np.add.reduceat(daily["net_sales"][inside], starts)
        return [(_EPOCH + timedelta(days=int(p)), int(u), int(n) / _MICRO)
                for p, u, n in zip(period[starts], units, net, strict=True)]


def sales_index(reader: Reader, kind: Kind) -> SalesIndex:
    """The :class:`SalesIndex` of ``kind`` for the reader's current build (loaded once per build).

    Cached under ``("sales_index", kind)``: ``reader.peek`` of that key tells whether it is loaded.
    """

    def load() -> SalesIndex:
        with reader.snapshot() as snap:
            return SalesIndex.load(snap, kind)

    index: SalesIndex = reader.cached(("sales_index", kind), load)
    return index


def catalogue(reader: Reader) -> dict[str, dict[str, Any]]:
    """``dim_product`` by product id (``name, category, unit_price, unit_cost, is_product``), loaded once per build."""

    def load() -> dict[str, dict[str, Any]]:
        df = reader.frame("SELECT product_id, name, category, unit_price, unit_cost, is_product FROM dim_product")
        out: dict[str, dict[str, Any]] = {}
        for row in df.itertuples(index=False):
            values = {c: (None if v is None or (isinstance(v, float) and np.isnan(v)) else
                          v.item() if isinstance(v, np.generic) else v)
                      for c, v in zip(df.columns, row, strict=True)}
            out[str(values["product_id"])] = values
        return out

    found: dict[str, dict[str, Any]] = reader.cached("catalogue", load)
    return found
