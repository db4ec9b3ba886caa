"""Order pages from the in-memory index equal the SQL's, row for row, for random ranges and filters."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import orjson
import pyarrow as pa
from tests.warehouse.test_customers_index import random_ranges

from shopops.warehouse import ORDER_COLUMNS, OrderIndex
from shopops.warehouse._orders import ORDER_BY


def _sql_page(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None, customer: str | None,
              status: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """The answer as the API's SQL gives it (the CSV path and the former JSON path)."""
    where = ("(?::DATE IS NULL OR order_date >= ?) AND (?::DATE IS NULL OR order_date <= ?) "
             "AND (?::VARCHAR IS NULL OR customer_id = ?) AND (?::VARCHAR IS NULL OR status = ?)")
    params = [start, start, end, end, customer, customer, status, status]
    cols = ", ".join(ORDER_COLUMNS)
    rows = con.execute(f"SELECT {cols} FROM fact_order WHERE {where} ORDER BY {ORDER_BY} LIMIT ? OFFSET ?",
                       [*params, limit, offset]).fetchall()
    total = con.execute(f"SELECT count(*) FROM fact_order WHERE {where}", params).fetchall()[0][0]
    return [dict(zip(ORDER_COLUMNS, r, strict=True)) for r in rows], int(total)


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()} for r in rows]


def _index(con: duckdb.DuckDBPyConnection) -> OrderIndex:
    return OrderIndex.load(con.sql(f"SELECT {', '.join(ORDER_COLUMNS)}, order_date FROM fact_order "
                                   f"ORDER BY {ORDER_BY}").to_arrow_table())


def _compare(index: OrderIndex, con: duckdb.DuckDBPyConnection, first: date, last: date, n: int,
             customers: list[str], statuses: list[str], seed: int) -> int:
    rng = random.Random(seed)
    checked = 0
    for i, start, end in random_ranges(first, last, n, rng):
        customer = rng.choice(customers) if i % 5 == 0 else None
        status = rng.choice(statuses) if i % 3 == 0 else None
        limit, offset = rng.choice([(100, 0), (10, 0), (25, 50), (100, 300), (5, 10_000)])
        got = index.page(start, end, customer=customer, status=status, limit=limit, offset=offset)
        want = _sql_page(con, start, end, customer, status, limit, offset)
        where = f"{start}..{end} customer={customer} status={status} limit={limit} offset={offset}"
        assert got[1] == want[1], f"{where}: total {got[1]} vs {want[1]}"
        assert _plain(got[0]) == _plain(want[0]), where
        as_json = orjson.loads(index.page_json(start, end, customer=customer, status=status, limit=limit,
                                               offset=offset))
        assert as_json == orjson.loads(orjson.dumps({"items": got[0], "total": got[1], "limit": limit,
                                                     "offset": offset})), where
        checked += len(want[0])
    return checked


def _orders(n: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    base = datetime(2021, 1, 1)
    rows = []
    for i in range(n):
        at = None if i % 211 == 0 else base + timedelta(days=rng.randrange(0, 200), hours=rng.randrange(24),
                                                          minutes=rng.choice([0, 0, 30]))  # ties of time
        rows.append({"order_id": f"o{rng.randrange(10**6):06d}-{i}" if i % 89 else f"订单{i}", "ordered_at": at,
                     "customer_id": None if i % 31 == 0 else f"c{rng.randrange(300)}",
                     "country": rng.choice(["GB", "FR", None]), "channel": rng.choice(["web", "app"]),
                     "status": rng.choice(["paid", "cancelled", "shipped", None]), "lines": rng.randrange(1, 5),
                     "units": rng.randrange(1, 20),
                     "gross_sales": float("nan") if i == 7 else round(rng.random() * 100, 2),
                     "net_amount": None if i % 19 == 0 else round(rng.random() * 90, 2), "is_sale": i % 13 != 0,
                     "order_date": at.date() if at else None})
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("order_id", pa.string()), ("ordered_at", pa.timestamp("us")), ("customer_id", pa.string()),
        ("country", pa.string()), ("channel", pa.string()), ("status", pa.string()), ("lines", pa.int64()),
        ("units", pa.int64()), ("gross_sales", pa.float64()), ("net_amount", pa.float64()),
        ("is_sale", pa.bool_()), ("order_date", pa.date32())]))


def test_random_pages_equal_sql() -> None:
    """Ties of time, orders without a time, NULL customers and statuses, NaN, non-ASCII ids, unknown values."""
    con = duckdb.connect()
    con.register("fact_order", _orders(4000, seed=5))
    index = _index(con)
    assert index.dated == 4000 - len(range(0, 4000, 211))
    checked = _compare(index, con, date(2021, 1, 1), date(2021, 7, 19), 400,
                       [f"c{k}" for k in range(0, 300, 7)] + ["nobody"], ["paid", "cancelled", "shipped", "x"],
                       seed=1)
    assert checked > 8000


def test_an_order_day_that_does_not_follow_its_time_still_equals_sql() -> None:
    """The contiguous run needs order_date = ordered_at's day; without it the index filters by mask, still right."""
    table = _orders(600, seed=2)
    days = table["order_date"].to_pylist()
    for k in range(0, 600, 40):
        days[k] = date(2021, 3, 1) if days[k] else date(2021, 2, 1)  # a wrong day, and a day without a time
    con = duckdb.connect()
    con.register("fact_order", table.set_column(table.schema.get_field_index("order_date"), "order_date",
                                                pa.array(days, pa.date32())))
    index = _index(con)
    assert index.days is not None
    _compare(index, con, date(2021, 1, 1), date(2021, 7, 19), 150, ["c3", "c10", "nobody"], ["paid", "x"], seed=4)


def test_order_and_line_look_ups_equal_sql() -> None:
    """Every order's row and lines, unknown ids, non-ASCII ids and the empty id, as the SQL finds them."""
    from shopops.warehouse import LINE_COLUMNS, LineIndex

    orders = _orders(800, seed=9)
    rng = random.Random(4)
    line_rows = [{"order_id": oid, "line_no": n, "product_id": f"P{rng.randrange(50)}",
                  "line_type": rng.choice(["product", "fee"]), "quantity": rng.randrange(1, 9),
                  "unit_price": round(rng.random() * 20, 2), "discount": 0.0, "net_amount": round(rng.random(), 2)}
                 for oid in orders["order_id"].to_pylist()[::2] for n in rng.sample(range(1, 9), rng.randrange(1, 4))]
    line_rows.append({**line_rows[0], "order_id": None})
    con = duckdb.connect()
    con.register("fact_order", orders)
    con.register("fact_order_line", pa.Table.from_pylist(line_rows))
    index = _index(con)
    lines = LineIndex.load(con.sql(f"SELECT order_id, {', '.join(LINE_COLUMNS)} FROM fact_order_line "
                                   "WHERE order_id IS NOT NULL ORDER BY order_id, line_no").to_arrow_table())
    cols = ", ".join(ORDER_COLUMNS)
    for oid in [*orders["order_id"].to_pylist()[:300], "nobody", "", "订单0", "o"]:
        want = con.execute(f"SELECT {cols} FROM fact_order WHERE order_id = ?", [oid]).fetchall()
        got = index.row(oid)
        assert (got is None) == (not want), oid
        if want:
            assert _plain([got]) == _plain([dict(zip(ORDER_COLUMNS, want[0], strict=True))]), oid
        want_lines = con.execute(f"SELECT {', '.join(LINE_COLUMNS)} FROM fact_order_line WHERE order_id = ? "
                                 "ORDER BY line_no", [oid]).fetchall()
        assert lines.lines(oid) == [dict(zip(LINE_COLUMNS, r, strict=True)) for r in want_lines], oid
