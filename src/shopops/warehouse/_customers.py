"""Customers filtered by a date range and sorted, from arrays held in memory per build.

A dashboard lists the customers active in a date range, biggest spenders first, one page at a time.
As SQL that is a filter, a sort and a count over ``dim_customer`` on every request (each new range is
a new query). A :class:`CustomerIndex` loads the table once per warehouse build, keeps each sort
order as a permutation, and answers a page by walking the permutation until the page is full (the
first hundred matches of a range are found in the first few thousand customers), and the total by two
binary searches: a customer with sales matches a range when its last sale is on or after the start
and its first sale before the day after the end, and as the first sale is never after the last, the
matches are "last sale on or after the start" minus "first sale on or after the day after the end".
The answers equal the SQL's, row for row (tests/warehouse/test_customers_index.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from shopops.warehouse._reader import Identity, Reader
from shopops.warehouse._rows import JsonRows

__all__ = ["CUSTOMER_COLUMNS", "CustomerIndex", "CustomerSort", "customer_index"]

CustomerSort = Literal["sales_amount", "orders", "last_sale_at", "customer_id"]
#: The columns of a customer row, in answer order.
CUSTOMER_COLUMNS = ("customer_id", "country", "city", "channel", "acquired_at", "first_sale_at", "last_sale_at",
                    "orders", "units", "sales_amount")
_NO_DAY = np.iinfo(np.int64).min
_US_PER_DAY = 86_400_000_000
I64 = npt.NDArray[np.int64]


def _micros(column: pa.ChunkedArray) -> tuple[I64, npt.NDArray[np.bool_]]:
    """A timestamp column as microseconds since 1970 and its null mask."""
    values = column.cast(pa.timestamp("us")).cast(pa.int64())
    nulls = values.is_null().to_numpy(zero_copy_only=False)
    return values.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64), nulls


def _day_us(d: date) -> int:
    return int((datetime(d.year, d.month, d.day) - datetime(1970, 1, 1)) // timedelta(microseconds=1))


@dataclass
class CustomerIndex:
    """``dim_customer`` of one build, with what a filtered, sorted page needs."""

    table: pa.Table
    ids: npt.NDArray[np.object_]
    first_us: I64
    last_us: I64
    has_sales: npt.NDArray[np.bool_]
    codes: dict[str, tuple[npt.NDArray[np.int32], dict[str, int]]]
    id_rank: I64
    keys: dict[str, tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]]
    #: Whether every customer's first sale is on or before its last (the counting shortcut needs it).
    ordered: bool
    #: The build the table was read from.
    identity: Identity | None = None
    _orders: dict[str, I64] = field(default_factory=dict)
    _sorted_first: I64 | None = None
    _sorted_last: I64 | None = None
    _sorted_ids: npt.NDArray[np.object_] | None = None
    _json: JsonRows | None = None
    #: At most this many rows' JSON is kept (about 250 bytes each).
    json_cache_rows: int = 200_000

    @classmethod
    def load(cls, table: pa.Table, identity: Identity | None = None) -> CustomerIndex:
        """From ``dim_customer``'s :data:`CUSTOMER_COLUMNS` as an Arrow table."""
        table = table.select(list(CUSTOMER_COLUMNS)).combine_chunks()  # the answer's columns, in order
        first_us, first_null = _micros(table["first_sale_at"])
        last_us, last_null = _micros(table["last_sale_at"])
        has_sales = ~first_null & ~last_null
        codes = {}
        for name in ("country", "channel"):
            encoded = pc.dictionary_encode(table[name]).combine_chunks()
            index = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
            codes[name] = (index, {str(v): i for i, v in enumerate(encoded.dictionary.to_pylist())})
        ids = np.array(table["customer_id"].to_pylist(), dtype=object)
        id_rank = np.empty(len(ids), dtype=np.int64)
        # Python orders str by code point, which is UTF-8 byte order: DuckDB's order of VARCHAR.
        id_rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
        keys: dict[str, tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]] = {}
        for name in ("sales_amount", "orders"):
            col = table[name]
            nulls = col.is_null().to_numpy(zero_copy_only=False)
            keys[name] = (col.cast(pa.float64()).fill_null(0).to_numpy(zero_copy_only=False), nulls)
        keys["last_sale_at"] = (last_us, last_null)
        ordered = bool(np.all(first_null == last_null) and np.all(first_us[has_sales] <= last_us[has_sales]))
        return cls(table, ids, first_us, last_us, has_sales, codes, id_rank, keys, ordered, identity)

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def order(self, sort: CustomerSort) -> I64:
        """Row positions in answer order: ``sort`` descending, nulls last, ties by customer id.

        ``customer_id`` itself sorts ascending.
        """
        found = self._orders.get(sort)
        if found is None:
            if sort == "customer_id":
                found = np.argsort(self.id_rank, kind="stable")
            else:
                values, nulls = self.keys[sort]
                nan = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), dtype=bool)
                # DuckDB orders NaN above every number, so descending puts it first (after nothing).
                primary = -np.where(nan, 0, values)
                found = np.lexsort((self.id_rank, primary, ~nan, nulls))
            self._orders[sort] = found = found.astype(np.int64)
        return found

    def _match(self, rows: I64, start_us: int | None, end_us: int | None, country: int | None,
               channel: int | None, customer: str | None) -> npt.NDArray[np.bool_]:
        keep = np.ones(len(rows), dtype=bool)
        if start_us is not None:
            keep &= ~self.keys["last_sale_at"][1][rows] & (self.last_us[rows] >= start_us)
        if end_us is not None:
            keep &= self.has_sales[rows] & (self.first_us[rows] < end_us)
        if country is not None:
            keep &= self.codes["country"][0][rows] == country
        if channel is not None:
            keep &= self.codes["channel"][0][rows] == channel
        if customer is not None:
            keep &= self.ids[rows] == customer
        return keep

    def _count(self, start_us: int | None, end_us: int | None) -> int:
        """Customers in the range (no other filter): binary searches on the sorted first and last sales."""
        if self._sorted_last is None:
            self._sorted_last = np.sort(self.last_us[self.has_sales])
            self._sorted_first = np.sort(self.first_us[self.has_sales])
        assert self._sorted_first is not None
        with_sales = len(self._sorted_last)
        if start_us is None and end_us is None:
            return len(self)
        on_or_after_start = with_sales - int(np.searchsorted(self._sorted_last, start_us, "left")) \
            if start_us is not None else with_sales
        first_after_end = with_sales - int(np.searchsorted(self._sorted_first, end_us, "left")) \
            if end_us is not None else 0
        return on_or_after_start - first_after_end

    def row(self, customer_id: str) -> dict[str, Any] | None:
        """One customer's row (:data:`CUSTOMER_COLUMNS`), or None: a binary search in the id order."""
        if self._sorted_ids is None:
            self._sorted_ids = self.ids[self.order("customer_id")]
        at = int(np.searchsorted(self._sorted_ids, customer_id))
        if at >= len(self._sorted_ids) or self._sorted_ids[at] != customer_id:
            return None
        position = int(self.order("customer_id")[at])
        found: dict[str, Any] = self.table.slice(position, 1).to_pylist()[0]
        return found

    def page(self, start: date | None, end: date | None, *, country: str | None = None,
             channel: str | None = None, customer: str | None = None, sort: CustomerSort = "sales_amount",
             limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Rows ``offset`` to ``offset + limit`` of the matching customers, and how many match.

        A customer matches with a sale in ``[start, end]`` (either may be None) and the filters; rows
        come in the order of ``sort``.
        """
        rows, total = self.positions(start, end, country=country, channel=channel, customer=customer, sort=sort,
                                     limit=limit, offset=offset)
        if not len(rows):
            return [], total
        page = self.table.take(pa.array(rows))
        return page.to_pylist(), total

    def positions(self, start: date | None, end: date | None, *, country: str | None = None,
                  channel: str | None = None, customer: str | None = None, sort: CustomerSort = "sales_amount",
                  limit: int = 100, offset: int = 0) -> tuple[I64, int]:
        """The row positions of :meth:`page`, and how many match."""
        start_us = _day_us(start) if start is not None else None
        end_us = _day_us(end) + _US_PER_DAY if end is not None else None
        codes: list[int | None] = []
        for name, value in (("country", country), ("channel", channel)):
            if value is None:
                codes.append(None)
            elif value in self.codes[name][1]:
                codes.append(self.codes[name][1][value])
            else:
                return np.empty(0, dtype=np.int64), 0  # a value no customer has
        args = (start_us, end_us, codes[0], codes[1], customer)
        order = self.order(sort)
        want = offset + limit
        if customer is not None or country is not None or channel is not None or not self.ordered:
            chosen = order[self._match(order, *args)]
            total = len(chosen)
            rows = chosen[offset:want]
        else:
            total = self._count(start_us, end_us)
            found: list[I64] = []
            have, at, step = 0, 0, max(4096, 4 * want)
            while have < want and at < len(order):
                block = order[at:at + step]
                hits = block[self._match(block, *args)]
                found.append(hits)
                have += len(hits)
                at += step
                step *= 2
            rows = np.concatenate(found)[offset:want] if found else np.empty(0, dtype=np.int64)
        return rows, total

    def rows_json(self, rows: I64) -> list[bytes]:
        """Each row (by position) as JSON, kept for the build up to :attr:`json_cache_rows` rows."""
        return self._rows().rows(rows)

    def _rows(self) -> JsonRows:
        if self._json is None:
            self._json = JsonRows(self.table, self.json_cache_rows)
        return self._json

    def page_json(self, start: date | None, end: date | None, *, limit: int = 100, offset: int = 0,
                  **filters: Any) -> bytes:
        """:meth:`page` as the API's JSON page (``items``, ``total``, ``limit``, ``offset``)."""
        rows, total = self.positions(start, end, limit=limit, offset=offset, **filters)
        return self._rows().page(rows, total, limit, offset)


def customer_index(reader: Reader) -> CustomerIndex:
    """The :class:`CustomerIndex` of the reader's current build (loaded once per build, key ``"customer_index"``)."""

    def load() -> CustomerIndex:
        with reader.snapshot() as snap:
            return CustomerIndex.load(snap.arrow(f"SELECT {', '.join(CUSTOMER_COLUMNS)} FROM dim_customer"),
                                      snap.identity)

    index: CustomerIndex = reader.cached("customer_index", load)
    return index
