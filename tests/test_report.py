"""The one-file HTML report: self-contained, right numbers, never crashes on small warehouses."""

from __future__ import annotations

import random
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopops import Shop
from shopops.errors import WarehouseError
from shopops.report import write_report

ONLINE_RETAIL = Path(__file__).parents[1].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"

_SCHEMA = pa.schema([
    ("order_id", pa.string()),
    ("ordered_at", pa.timestamp("us")),
    ("product_id", pa.string()),
    ("quantity", pa.int64()),
    ("unit_price", pa.float64()),
    ("customer_id", pa.string()),
])


def _write(path: Path, rows: list[dict[str, Any]], *, line_type: bool = True) -> Path:
    """A canonical order_lines Parquet file; with ``line_type`` the sale/return column is filled in."""
    schema = _SCHEMA.append(pa.field("line_type", pa.string())) if line_type else _SCHEMA
    if line_type:
        rows = [{**r, "line_type": "sale" if r["quantity"] > 0 else "return"} for r in rows]
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def _shop_rows(seed: int = 7, *, guests: bool = False) -> list[dict[str, Any]]:
    """About 3.5 months of orders (1 Jan – 15 Apr 2024) with times of day and a few returns."""
    rng = random.Random(seed)
    products = {f"P{i:02d}": round(rng.uniform(2, 60), 2) for i in range(15)}
    customers = [f"C{i:03d}" for i in range(40)]
    rows: list[dict[str, Any]] = []
    start = datetime(2024, 1, 1)
    n = 0
    for day in range(106):  # up to 15 April: April is not a full month
        for _ in range(rng.randint(1, 4)):
            n += 1
            at = start + timedelta(days=day, hours=rng.randint(8, 21), minutes=rng.randint(0, 59))
            cust = None if guests else rng.choice(customers)
            for pid in rng.sample(sorted(products), rng.randint(1, 3)):
                rows.append({"order_id": f"O{n:05d}", "ordered_at": at, "product_id": pid,
                             "quantity": rng.randint(1, 5), "unit_price": products[pid], "customer_id": cust})
            if n % 9 == 0:  # a return a few days later, as its own document
                rows.append({"order_id": f"R{n:05d}", "ordered_at": at + timedelta(days=2),
                             "product_id": rows[-1]["product_id"], "quantity": -1,
                             "unit_price": rows[-1]["unit_price"], "customer_id": cust})
    return rows


def _links(text: str) -> list[str]:
    """Every reference to a resource outside the file (src/href/url()/@import)."""
    return re.findall(r"""(?:\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import)""",
                      text, flags=re.I)


def _money(x: float) -> str:
    return f"£{x:,.2f}"


_CATEGORIES = ("Kitchen", "Garden", "Toys", "Stationery", "Lighting")
_LONG_NAME = "Extra large hand-painted ceramic serving bowl with lid, ocean blue"


def _best_seller(rows: list[dict[str, Any]]) -> str:
    net: dict[str, float] = {}
    for r in rows:
        net[r["product_id"]] = net.get(r["product_id"], 0.0) + r["quantity"] * r["unit_price"]
    return max(net, key=lambda k: net[k])


def _catalogue(rows: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """product_id -> (name, category); the best seller has a name too long for a chart label."""
    best = _best_seller(rows)
    return {f"P{i:02d}": (_LONG_NAME if f"P{i:02d}" == best else f"Product {i}", _CATEGORIES[i % 5])
            for i in range(15)}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("shop")
    rows = _shop_rows()
    result = Shop.open(root / "data").ingest(_write(root / "order_lines.parquet", rows), table="order_lines")
    assert result.rows_quarantined == 0
    catalogue = _catalogue(rows)
    products = pa.table({
        "product_id": list(catalogue),
        "name": [v[0] for v in catalogue.values()],
        "category": [v[1] for v in catalogue.values()],
        "is_product": [True] * len(catalogue),
    })
    pq.write_table(products, root / "products.parquet")
    Shop.open(root / "data").ingest(root / "products.parquet", table="products")
    return root / "data", rows


@pytest.fixture(scope="module")
def report(shop: tuple[Path, list[dict[str, Any]]]) -> str:
    path = write_report(shop[0])
    assert path == shop[0] / "reports" / "report.html"
    return path.read_text(encoding="utf-8")


def test_report_is_self_contained(report: str) -> None:
    assert report.lstrip().startswith("<!DOCTYPE html>")
    assert _links(report) == []
    assert "<script" not in report.lower()
    assert "<link" not in report.lower()
    # weekly sales, monthly orders/AOV, customers, top products, top categories, weekday × hour
    assert report.count("<svg") == 6
    ids = re.findall(r'\bid="([^"]+)"', report)
    assert len(ids) == len(set(ids)), "element ids must be unique across the inline charts"


def test_report_shows_last_full_month_against_the_one_before(
        shop: tuple[Path, list[dict[str, Any]]], report: str) -> None:
    _, rows = shop

    def month(r: dict[str, Any], m: int) -> bool:
        return bool(r["ordered_at"].month == m)

    def net(m: int) -> float:
        # every line is a real product: sales add, returns (negative quantity) subtract
        return sum(float(r["quantity"]) * float(r["unit_price"]) for r in rows if month(r, m))

    def orders(m: int) -> int:
        return len({r["order_id"] for r in rows if month(r, m) and int(r["quantity"]) > 0})

    assert "March 2024 vs February 2024" in report  # April is cut off on the 15th
    assert _money(net(3)) in report
    assert _money(net(2)) in report
    assert f"{orders(3):,}" in report
    change = (net(3) - net(2)) / abs(net(2)) * 100
    assert f"{change:+.1f}%" in report
    aov = sum(float(r["quantity"]) * float(r["unit_price"])
              for r in rows if month(r, 3) and int(r["quantity"]) > 0) / orders(3)
    assert _money(aov) in report
    assert re.search(r"[+-]\d+\.\d pp", report)  # rates change in percentage points
    assert not re.search(r"\bnan\b|\binf\b", report, flags=re.I)


def test_top_products_and_categories(shop: tuple[Path, list[dict[str, Any]]], report: str) -> None:
    _, rows = shop
    by_category: dict[str, float] = {}
    for r in rows:
        cat = _catalogue(rows)[r["product_id"]][1]
        by_category[cat] = by_category.get(cat, 0.0) + r["quantity"] * r["unit_price"]
    for net in by_category.values():  # bar labels carry the full amount
        assert _money(net) in report
    # the best seller's long name is cut to fit the label, with an ellipsis, and its code added
    assert _LONG_NAME not in report
    assert re.search(re.escape(_LONG_NAME[:30]) + r"[^<]*…[^<]*· " + _best_seller(rows), report)


def test_report_header_quality_and_definitions(shop: tuple[Path, list[dict[str, Any]]], report: str) -> None:
    _, rows = shop
    orders = len({r["order_id"] for r in rows if int(r["quantity"]) > 0})
    assert f"<dd>{orders:,}</dd>" in report
    assert "1 Jan 2024 – 1" in report  # data period (the last return may fall after 15 April)
    assert "duckdb" in report
    # data quality: the batch with rows in / ok and the line types
    assert f"{len(rows):,}" in report
    assert "sale " in report and "return " in report
    # definitions come from the SQL model's header comment
    sql = (Path(__file__).parents[1] / "src/shopops/warehouse/models/060_kpi_period.sql").read_text()
    terms = re.findall(r"^-- {2,3}(\w+)\s", sql, flags=re.M)
    assert {"net_sales", "aov", "repeat_rate", "cancellation_rate"} <= set(terms)
    for term in terms:
        assert f"<dt>{term}</dt>" in report


def test_canonical_lines_without_line_type_count_as_sales(tmp_path: Path) -> None:
    # The six columns a shop exports; line types are derived from the sign of the quantity.
    rows = [r for r in _shop_rows(seed=5) if r["ordered_at"] < datetime(2024, 3, 1)]
    Shop.open(tmp_path / "data").ingest(_write(tmp_path / "plain.parquet", rows, line_type=False), table="order_lines")
    text = write_report(tmp_path / "data").read_text(encoding="utf-8")
    net = sum(r["quantity"] * r["unit_price"] for r in rows if r["ordered_at"].month == 2)
    assert "February 2024 vs January 2024" in text
    assert _money(net) in text, "sales of a file without line_type must count (see 010_dim_product.sql)"


def test_report_to_a_chosen_path_with_title(shop: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    out = write_report(shop[0], tmp_path / "deep" / "shop.html", title="Weekly <review>")
    text = out.read_text(encoding="utf-8")
    assert "<title>Weekly &lt;review&gt;</title>" in text
    assert not list(out.parent.glob("*.tmp"))


def test_one_order_still_gives_a_report(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [{"order_id": "A1", "ordered_at": datetime(2024, 3, 5), "product_id": "P1",
                                      "quantity": 2, "unit_price": 9.5, "customer_id": "C1"}]
    Shop.open(tmp_path / "data").ingest(_write(tmp_path / "one.parquet", rows), table="order_lines")
    text = write_report(tmp_path / "data").read_text(encoding="utf-8")
    assert "£19.00" in text
    assert "no comparison" in text
    assert "dates only" in text  # midnight time stamps: no weekday × hour chart
    assert "could not be drawn" not in text
    assert not re.search(r"\bnan\b|\binf\b", text, flags=re.I)
    assert _links(text) == []


def test_guest_orders_only_skip_the_customer_chart(tmp_path: Path) -> None:
    rows = [r for r in _shop_rows(seed=3, guests=True) if r["ordered_at"] < datetime(2024, 2, 20)]
    Shop.open(tmp_path / "data").ingest(_write(tmp_path / "guests.parquet", rows), table="order_lines")
    text = write_report(tmp_path / "data").read_text(encoding="utf-8")
    assert "January 2024" in text
    assert "no customer chart" in text
    assert "could not be drawn" not in text
    assert not re.search(r"\bnan\b|\binf\b", text, flags=re.I)


def test_empty_warehouse_gives_a_report(tmp_path: Path) -> None:
    from shopops.warehouse import build_warehouse

    build_warehouse(tmp_path / "data")
    text = write_report(tmp_path / "data").read_text(encoding="utf-8")
    assert "No orders in the warehouse yet" in text
    assert "<svg" not in text
    assert "<dt>net_sales</dt>" in text
    assert not re.search(r"\bnan\b|\binf\b", text, flags=re.I)


def test_no_warehouse_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="ingest"):
        write_report(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not ONLINE_RETAIL.is_file(), reason="Online Retail dataset not present")
def test_online_retail_report(tmp_path: Path) -> None:
    Shop.open(tmp_path / "data").ingest(ONLINE_RETAIL)
    started = time.perf_counter()
    out = write_report(tmp_path / "data")
    seconds = time.perf_counter() - started
    text = out.read_text(encoding="utf-8")
    assert seconds < 60
    assert "November 2011 vs October 2011" in text  # data end on 9 Dec 2011
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        net = con.execute(
            "SELECT sum(net_amount) FROM fact_order_line "
            "WHERE ((line_type IN ('sale', 'cancellation', 'return') AND is_product) OR line_type = 'discount') "
            "AND order_date >= DATE '2011-11-01' AND order_date < DATE '2011-12-01'").fetchall()[0][0]
    assert _money(net) in text
    assert text.count("<svg") == 5  # no product categories in Online Retail
    assert "no category chart" in text
    assert "exact duplicate" in text
    assert _links(text) == []
    assert not re.search(r"\bnan\b|\binf\b", text, flags=re.I)
