"""Range totals from running totals equal the order-line totals, for random ranges of a simulated shop."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from shopops import Shop
from shopops.warehouse import SalesIndex, sales_index

FACT = """SELECT {key} AS key, CAST(sum(f.sold_units) AS BIGINT) AS units, coalesce(sum(f.gross_sales), 0) AS gross_sales,
          coalesce(sum(f.net_sales), 0) AS net_sales, count(DISTINCT CASE WHEN f.is_sale THEN f.order_id END) AS orders
          FROM fact_order_line f WHERE f.is_product AND (?::DATE IS NULL OR f.order_date >= ?)
          AND (?::DATE IS NULL OR f.order_date <= ?) GROUP BY 1 ORDER BY 1"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    shop = Shop.open(tmp_path_factory.mktemp("ranges"))
    shop.simulate(seed=11, days=240, products=80, customers=2000)
    return shop


def _ranges(first: date, last: date, n: int, seed: int) -> list[tuple[date | None, date | None]]:
    rng = random.Random(seed)
    days = (last - first).days
    out: list[tuple[date | None, date | None]] = [
        (None, None), (first, first), (last, last), (None, first + timedelta(days=10)), (last - timedelta(days=3), None),
        (first - timedelta(days=40), first - timedelta(days=1)),  # before the data: nothing
        (last + timedelta(days=1), last + timedelta(days=30)),  # after it: nothing
        (first - timedelta(days=5), last + timedelta(days=5)),  # wider than the data: everything
    ]
    for _ in range(n):
        a = rng.randrange(-3, days + 3)
        b = rng.randrange(a, days + 4)
        out.append((first + timedelta(days=a), first + timedelta(days=b)))
    return out


def _assert_equal(got: pd.DataFrame, want: pd.DataFrame, where: str) -> None:
    assert list(got["key"]) == list(want["key"]), where
    assert list(got["units"]) == [int(u) for u in want["units"]], where
    assert list(got["orders"]) == [int(o) for o in want["orders"]], where
    for col in ("gross_sales", "net_sales"):
        assert got[col].to_numpy() == pytest.approx(want[col].to_numpy(), abs=1e-6), f"{where}: {col}"


@pytest.mark.parametrize("layout", ["dense", "sparse"])
@pytest.mark.parametrize("kind,key", [("product", "f.product_id"), ("category", "f.category")])
def test_random_ranges_equal_the_fact_table(shop: Shop, kind: str, key: str, layout: str,
                                            monkeypatch: pytest.MonkeyPatch):
    reader = shop.reader
    first, last = reader.frame("SELECT min(order_date) AS a, max(order_date) AS b FROM fact_order_line").iloc[0]
    if layout == "sparse":  # too big for the day-by-key layout: binary searches in the sparse rows
        monkeypatch.setattr(SalesIndex, "dense_max_bytes", 0)
    with reader.snapshot() as snap:
        index = SalesIndex.load(snap, kind)  # type: ignore[arg-type]
    assert (index._dense is None) == (layout == "sparse")
    assert len(index.keys) > (40 if kind == "product" else 3)
    seen_empty = seen_full = False
    for start, end in _ranges(first, last, 40, seed=3):
        want = reader.sql(FACT.format(key=key), [start, start, end, end])
        got = index.totals(start, end).frame()
        _assert_equal(got, want, f"{kind} {start}..{end}")
        seen_empty |= want.empty
        seen_full |= len(want) == len(index.keys)
    assert seen_empty and seen_full


def test_product_series_equals_the_fact_table(shop: Shop):
    reader = shop.reader
    index = sales_index(reader, "product")
    rng = random.Random(5)
    first = reader.frame("SELECT min(order_date) AS a FROM fact_order_line").iloc[0, 0]
    start, end = first + timedelta(days=37), first + timedelta(days=130)
    for product in rng.sample(list(index.keys), 8):
        for grain in ("day", "week", "month"):
            want = reader.sql(
                "SELECT CAST(date_trunc(?, order_date) AS DATE) AS p, CAST(sum(sold_units) AS BIGINT) AS u, "
                "coalesce(sum(net_sales), 0) AS n FROM fact_order_line WHERE product_id = ? AND is_product "
                "AND order_date BETWEEN ? AND ? GROUP BY 1 ORDER BY 1", [grain, product, start, end])
            got = index.series(product, grain, start, end)  # type: ignore[arg-type]
            assert [p for p, _u, _n in got] == [p.date() for p in want["p"]], (product, grain)
            assert [u for _p, u, _n in got] == list(want["u"])
            assert [n for _p, _u, n in got] == pytest.approx(list(want["n"]), abs=1e-6)
    assert index.series("no such product", "week") == []


def test_an_order_on_two_days_counts_once(tmp_path: Path):
    """Summed daily distinct orders would count it twice; agg_order_span corrects that."""
    csv = tmp_path / "lines.csv"
    csv.write_text("order_id,line_no,ordered_at,product_id,quantity,unit_price\n"
                   "A1,1,2024-01-01 23:50,P1,1,2.5\n"
                   "A1,2,2024-01-02 00:10,P1,2,2.5\n"
                   "A1,3,2024-01-03 09:00,P2,1,4.0\n"
                   "B2,1,2024-01-02 10:00,P1,1,2.5\n")
    shop = Shop.open(tmp_path / "shop")
    shop.ingest(csv, table="order_lines")
    products = sales_index(shop.reader, "product")
    categories = sales_index(shop.reader, "category")
    for start, end, p1_orders, cat_orders in [(None, None, 2, 2), (date(2024, 1, 1), date(2024, 1, 1), 1, 1),
                                              (date(2024, 1, 2), date(2024, 1, 3), 2, 2),
                                              (date(2024, 1, 3), date(2024, 1, 3), 0, 1)]:
        t = products.totals(start, end).frame().set_index("key")
        assert (int(t.loc["P1", "orders"]) if "P1" in t.index else 0) == p1_orders, (start, end)
        c = categories.totals(start, end).frame()
        assert int(c["orders"].sum()) == cat_orders, (start, end)
    assert int(products.totals().frame().set_index("key").loc["P1", "units"]) == 4
