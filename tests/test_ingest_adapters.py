"""Built-in adapters on the real Olist and CDNOW data, and Excel / JSON Lines through the whole ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopops import Shop
from tests.conftest import SHARED

OLIST = SHARED / "olist"
CDNOW = SHARED / "cdnow" / "cdnow_master.parquet"


@pytest.fixture(scope="module")
def olist_shop(tmp_path_factory: pytest.TempPathFactory):
    if not OLIST.is_dir():
        pytest.skip("Olist data not found")
    shop = Shop.open(tmp_path_factory.mktemp("olist"))
    return shop, shop.ingest(OLIST)


def test_olist_counts_match_the_published_tables(olist_shop):
    shop, result = olist_shop
    assert result.adapter == "olist"
    facts = shop.sql(
        "SELECT count(DISTINCT order_id) AS orders, count(*) FILTER (WHERE line_type = 'sale') AS items, "
        "count(DISTINCT product_id) FILTER (WHERE line_type = 'sale') AS products FROM fact_order_line").iloc[0]
    assert (facts["orders"], facts["items"]) == (98_666, 112_650)          # orders in order_items, item rows
    assert facts.products == 32_951                                  # every product_id is in products
    assert len(shop.table("dim_customer")) == 96_096                 # customer_unique_id, not customer_id
    assert len(shop.table("dim_supplier")) == 3_095
    freight = shop.sql("SELECT count(*) AS n FROM fact_order_line WHERE product_id = 'FREIGHT'").iloc[0, 0]
    assert freight == 112_650 - 383                                  # items with freight_value 0 get no line
    assert not shop.sql("SELECT is_product FROM dim_product WHERE product_id = 'FREIGHT'").iloc[0, 0]


def test_olist_payments_without_items_are_quarantined_not_dropped(olist_shop):
    shop, result = olist_shop
    orders = result.tables["orders"]
    # 99,440 orders have payments; 775 of them have no item, hence no date: quarantined with the reason.
    assert (orders.rows_in, orders.rows_ok, orders.rows_quarantined) == (99_440, 98_665, 775)
    assert orders.reasons == {"ordered_at: missing": 775}
    q = shop.quarantine("orders", limit=10_000)
    assert len(q) == 775 and (q["_reason"] == "ordered_at: missing").all()


def test_olist_postcodes_are_pseudonymised(olist_shop):
    shop, _ = olist_shop
    postcodes = shop.table("dim_customer")["postcode"]
    assert postcodes.str.startswith("pii_").all()
    assert shop.table("dim_customer")["city"].notna().all()


def test_cdnow_master_counts(tmp_path: Path):
    if not CDNOW.is_file():
        pytest.skip("CDNOW data not found")
    import pandas as pd

    src = pd.read_parquet(CDNOW)
    shop = Shop.open(tmp_path / "d")
    result = shop.ingest(CDNOW)
    assert result.adapter == "cdnow"
    assert result.tables["order_lines"].rows_ok == 69_659
    row = shop.sql("SELECT count(DISTINCT customer_id) AS c, sum(gross_amount) AS v, sum(quantity) AS q "
                   "FROM fact_order_line").iloc[0]
    assert row.c == 23_570
    assert row.v == pytest.approx(src["dollar_value"].sum(), rel=1e-9)
    assert row.q == src["number_of_cds"].sum()


def test_excel_and_jsonl_through_ingest(tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["order_id", "line_no", "ordered_at", "product_id", "quantity", "unit_price"])
    ws.append(["X1", 1, "2024-05-01 10:00:00", "P1", 2, 4.5])
    ws.append(["X2", 1, "2024-05-02 11:00:00", "P2", "many", 1.0])   # bad quantity, row 3 of the sheet
    wb.save(tmp_path / "lines.xlsx")
    with (tmp_path / "lines.jsonl").open("w") as fh:
        fh.write(json.dumps({"order_id": "J1", "line_no": 1, "ordered_at": "2024-05-03T09:00:00",
                             "product_id": "P1", "quantity": 1, "unit_price": 4.5}) + "\n")
        fh.write("{not json\n")                                         # line 2: unreadable
    shop = Shop.open(tmp_path / "d")
    xlsx = shop.ingest(tmp_path / "lines.xlsx", table="order_lines")
    jsonl = shop.ingest(tmp_path / "lines.jsonl", table="order_lines")
    assert (xlsx.tables["order_lines"].rows_ok, xlsx.tables["order_lines"].rows_quarantined) == (1, 1)
    assert (jsonl.tables["order_lines"].rows_ok, jsonl.tables["order_lines"].rows_quarantined) == (1, 1)
    q = shop.quarantine("order_lines").set_index("_source_row")
    assert q.loc[3, "_reason"] == 'quantity: "many" is not a whole number'
    assert q.loc[2, "_reason"].startswith("unreadable line:")
    assert q.loc[2, "_raw_text"] == "{not json"
    assert sorted(shop.table("fact_order_line")["order_id"]) == ["J1", "X1"]
