"""Malformed input the probe sent: every file is filed where it belongs or refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopops import Shop
from shopops.errors import MappingError, SourceError


def test_order_lines_without_unit_price_are_not_filed_as_orders(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("order_id,line_no,ordered_at,product_id,quantity\nX1,1,2011-05-01 10:00,P1,2\n")
    shop = Shop.open(tmp_path / "d")
    with pytest.raises(MappingError, match=r"line_no, product_id, quantity belong to order_lines, which also "
                                           r"needs unit_price.*--table"):
        shop.ingest(path)
    assert shop.batches() == []


def test_canonical_files_are_still_recognised(tmp_path: Path) -> None:
    cases = {"order_id,line_no,ordered_at,product_id,quantity,unit_price\n1,1,2024-01-01,P,1,2\n": "order_lines",
             "order_id,ordered_at,customer_id,status\n1,2024-01-01,C,paid\n": "orders",
             "product_id,name,category\nP,Pen,office\n": "products",
             "product_id,date,on_hand\nP,2024-01-01,3\n": "stock"}
    for i, (text, table) in enumerate(cases.items()):
        path = tmp_path / f"f{i}.csv"
        path.write_text(text)
        result = Shop.open(tmp_path / f"d{i}").ingest(path, build=False)
        assert list(result.tables) == [table]


def test_columns_that_map_to_no_table_are_listed(tmp_path: Path) -> None:
    extra = [f"c{i}" for i in range(9_994)]
    header = "product_id,name,category,unit_price,unit_cost,supplier_id," + ",".join(extra)
    path = tmp_path / "wide.csv"
    path.write_text(header + "\nP1,Pen,office,1.5,0.5,S1," + ",".join("x" * len(extra)) + "\n")
    result = Shop.open(tmp_path / "d").ingest(path, table="products", build=False)
    assert result.tables["products"].unmapped_columns == extra  # in the file's order, every run
    assert any("9,994 columns map to no table" in w and "c0, c1" in w and "more" in w for w in result.warnings)


@pytest.mark.parametrize("content, kind", [(b"PAR1\x15\x04\x15\x00\x00\x00\x01\x02", "Parquet"),
                                           (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "zip"),
                                           (bytes(range(256)) * 4, "binary data")])
def test_a_binary_file_named_csv_is_not_text(tmp_path: Path, content: bytes, kind: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=f"not a text file.*{kind}"):
        Shop.open(tmp_path / "d").ingest(path, table="order_lines")


def test_utf16_text_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("product_id,name\nP1,Stift\n".encode("utf-16"))
    result = Shop.open(tmp_path / "d").ingest(path, table="products", build=False)
    assert result.tables["products"].rows_ok == 1


def _lines(prefix: str) -> str:
    return "".join(f"{prefix}{i},1,2011-05-01 10:00,P{i},1,2.0\n" for i in range(5))


def test_an_unclosed_quote_is_quarantined_alone_and_the_lines_after_it_are_read(tmp_path: Path) -> None:
    path = tmp_path / "uq.csv"
    path.write_text("order_id,line_no,ordered_at,product_id,quantity,unit_price\n" + _lines("A")
                    + 'UQ,1,2011-05-01 10:00,"PQ,1,2.0\n' + _lines("B"))
    shop = Shop.open(tmp_path / "d")
    rep = shop.ingest(path, table="order_lines").tables["order_lines"]
    assert (rep.rows_in, rep.rows_ok, rep.rows_quarantined) == (11, 10, 1)
    bad = shop.quarantine()
    assert bad["_source_row"].tolist() == [7] and "never closed" in bad["_reason"].item()
    rows = shop.sql("SELECT order_id FROM fact_order_line ORDER BY order_id")["order_id"].tolist()
    assert rows == [f"A{i}" for i in range(5)] + [f"B{i}" for i in range(5)]


def test_a_10_mb_field_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("product_id,name\nP1," + "x" * (10 << 20) + "\nP2,short\n")
    shop = Shop.open(tmp_path / "d")
    rep = shop.ingest(path, table="products").tables["products"]
    assert (rep.rows_in, rep.rows_ok) == (2, 2)
    names = shop.sql("SELECT product_id, length(name) AS n FROM dim_product ORDER BY product_id")
    assert names["n"].tolist() == [10 << 20, 5]


def test_a_field_longer_than_the_block_is_reported_at_its_line_with_its_real_cause(tmp_path: Path) -> None:
    path = tmp_path / "longer.csv"
    path.write_text("product_id,name\nP0,fine\nP1," + "x" * (40 << 20) + "\nP2,short\n")
    shop = Shop.open(tmp_path / "d")
    with pytest.raises(SourceError, match=r"a record after line 2 is longer than 16 MB.*one value is really that "
                                          r"long") as info:
        shop.ingest(path, table="products", build=False)
    assert "at the header" not in str(info.value)
    assert shop.batches() == []
