"""Customer pages from the in-memory index equal the SQL's, row for row, for random ranges, sorts and filters."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from shopops.warehouse import CUSTOMER_COLUMNS, CustomerIndex

SORTS = ("sales_amount", "orders", "last_sale_at", "customer_id")


def _sql_page(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None, country: str | None,
              channel: str | None, customer: str | None, sort: str, limit: int,
              offset: int) -> tuple[list[dict[str, Any]], int]:
    """The answer as the API's SQL gives it (the CSV path and the former JSON path)."""
    where = ("(?::DATE IS NULL OR last_sale_at >= ?) AND (?::DATE IS NULL OR first_sale_at < ?::DATE + 1) "
             "AND (?::VARCHAR IS NULL OR country = ?) AND (?::VARCHAR IS NULL OR channel = ?) "
             "AND (?::VARCHAR IS NULL OR customer_id = ?)")
    params = [start, start, end, end, country, country, channel, channel, customer, customer]
    direction = "ASC" if sort == "customer_id" else "DESC NULLS LAST"
    cols = ", ".join(CUSTOMER_COLUMNS)
    rows = con.execute(f"SELECT {cols} FROM dim_customer WHERE {where} ORDER BY {sort} {direction}, customer_id "
                       "LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    total = con.execute(f"SELECT count(*) FROM dim_customer WHERE {where}", params).fetchall()[0][0]
    return [dict(zip(CUSTOMER_COLUMNS, r, strict=True)) for r in rows], int(total)


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """NaN as a marker, so that equal rows compare equal."""
    return [{k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()} for r in rows]


def random_ranges(first: date, last: date, n: int, rng: random.Random) -> Iterator[tuple[int, date | None,
                                                                                          date | None]]:
    """``n`` random date ranges around ``[first, last]``, some open at one end, with their number."""
    days = (last - first).days
    for i in range(n):
        a = rng.randrange(-5, days + 5)
        b = rng.randrange(a, days + 6)
        yield i, None if i % 7 == 0 else first + timedelta(days=a), None if i % 11 == 0 else first + timedelta(days=b)


def _compare(index: CustomerIndex, con: duckdb.DuckDBPyConnection, first: date, last: date, n: int,
             countries: list[str], channels: list[str], ids: list[str], seed: int) -> int:
    rng = random.Random(seed)
    checked = 0
    for i, start, end in random_ranges(first, last, n, rng):
        country = rng.choice(countries) if i % 5 == 0 else None
        channel = rng.choice(channels) if i % 6 == 0 else None
        customer = rng.choice(ids) if i % 13 == 0 else None
        sort = SORTS[i % len(SORTS)]
        limit, offset = rng.choice([(100, 0), (10, 0), (25, 50), (100, 300), (5, 10_000)])
        args = dict(country=country, channel=channel, customer=customer, sort=sort, limit=limit, offset=offset)
        got = index.page(start, end, **args)  # type: ignore[arg-type]
        want = _sql_page(con, start, end, country, channel, customer, sort, limit, offset)
        where = f"{start}..{end} {args}"
        assert got[1] == want[1], f"{where}: total {got[1]} vs {want[1]}"
        assert _plain(got[0]) == _plain(want[0]), where
        as_json = orjson.loads(index.page_json(start, end, **args))  # type: ignore[arg-type]
        assert as_json == orjson.loads(orjson.dumps({"items": got[0], "total": got[1], "limit": limit,
                                                     "offset": offset})), where
        checked += len(want[0])
    return checked


def test_edge_cases_equal_sql() -> None:
    """Ties, NULL sales, customers without sales, NaN, non-ASCII ids, a country nobody has."""
    rng = random.Random(3)
    rows = []
    base = datetime(2021, 1, 1)
    for i in range(3000):
        has_sales = i % 17 != 0
        first = base + timedelta(days=rng.randrange(0, 300), hours=rng.randrange(24)) if has_sales else None
        last = first + timedelta(days=rng.randrange(0, 60), minutes=rng.randrange(600)) if first else None
        amount = (float("nan") if i == 5 else None if i % 23 == 0 else round(rng.choice([10.0, 20.0, 35.5])
                                                                              * rng.randrange(1, 4), 2))
        rows.append({"customer_id": f"c{i:05d}" if i % 97 else f"客户{i}",
                     "country": rng.choice(["GB", "FR", "DE", None]), "city": f"city{i % 40}",
                     "channel": rng.choice(["web", "app"]), "acquired_at": base - timedelta(days=i % 50),
                     "first_sale_at": first, "last_sale_at": last,
                     "orders": (rng.randrange(1, 6) if has_sales else None), "units": rng.randrange(0, 30),
                     "sales_amount": amount})
    table = pa.Table.from_pylist(rows, schema=pa.schema([
        ("customer_id", pa.string()), ("country", pa.string()), ("city", pa.string()), ("channel", pa.string()),
        ("acquired_at", pa.timestamp("us")), ("first_sale_at", pa.timestamp("us")),
        ("last_sale_at", pa.timestamp("us")), ("orders", pa.int64()), ("units", pa.int64()),
        ("sales_amount", pa.float64())]))
    con = duckdb.connect()
    con.register("dim_customer", table)
    index = CustomerIndex.load(table)
    assert index.ordered
    checked = _compare(index, con, date(2021, 1, 1), date(2021, 12, 31), 300, ["GB", "FR", "XX"], ["web", "app"],
                       [r["customer_id"] for r in rows[:200]], seed=1)
    assert checked > 5000


def test_without_the_counting_shortcut_equal_sql() -> None:
    """A first sale after the last (bad data) turns the binary-search count off; answers stay right."""
    table = pa.table({
        "customer_id": ["a", "b", "c", "d"], "country": ["GB"] * 4, "city": ["x"] * 4, "channel": ["web"] * 4,
        "acquired_at": pa.array([datetime(2021, 1, 1)] * 4, pa.timestamp("us")),
        "first_sale_at": pa.array([datetime(2021, 3, 1), datetime(2021, 1, 5), None, datetime(2021, 2, 1)],
                                  pa.timestamp("us")),
        "last_sale_at": pa.array([datetime(2021, 2, 1), datetime(2021, 1, 9), None, datetime(2021, 2, 3)],
                                 pa.timestamp("us")),
        "orders": [1, 2, None, 3], "units": [1, 2, 0, 3], "sales_amount": [5.0, 5.0, None, 1.0]})
    con = duckdb.connect()
    con.register("dim_customer", table)
    index = CustomerIndex.load(table)
    assert not index.ordered
    _compare(index, con, date(2021, 1, 1), date(2021, 3, 31), 120, ["GB"], ["web"], ["a", "d"], seed=2)
