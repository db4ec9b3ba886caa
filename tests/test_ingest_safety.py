"""Idempotency, atomicity and bad input: clear errors, nothing lost."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopops import Shop
from shopops.errors import MappingError, ShopopsError, SourceError

LINES = """order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id
1001,1,2024-03-01 10:00,SKU-1,2,9.99,C1
1001,2,2024-03-01 10:00,SKU-2,1,20.00,C1
1002,1,2024-03-02 11:30,SKU-1,1,9.99,C2
1003,1,2024-03-05 09:15,SKU-3,5,1.50,
"""


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _fingerprint(shop: Shop) -> tuple:
    batches = [(b.batch_id, b.seq) for b in shop.batches()]
    wh = hashlib.sha256(shop.warehouse_path.read_bytes()).hexdigest() if shop.warehouse_path.exists() else None
    return batches, wh


@pytest.fixture()
def shop(tmp_path: Path) -> Shop:
    s = Shop.open(tmp_path / "data")
    s.ingest(_write(tmp_path / "lines.csv", LINES), table="order_lines")
    return s


def test_same_file_twice_is_skipped(shop: Shop, tmp_path: Path):
    before = shop.sql("SELECT count(*) FROM fact_order_line").iloc[0, 0]
    again = shop.ingest(tmp_path / "lines.csv", table="order_lines")
    assert again.status == "skipped"
    assert shop.sql("SELECT count(*) FROM fact_order_line").iloc[0, 0] == before == 4
    assert len(shop.batches()) == 1


def test_overlapping_file_updates_not_duplicates(shop: Shop, tmp_path: Path):
    # A re-export with a corrected price and one new line: keys are unique, the latest batch wins.
    text = LINES.replace("1002,1,2024-03-02 11:30,SKU-1,1,9.99,C2", "1002,1,2024-03-02 11:30,SKU-1,1,8.99,C2")
    text += "1004,1,2024-03-06 12:00,SKU-2,1,20.00,C3\n"
    shop.ingest(_write(tmp_path / "lines2.csv", text), table="order_lines")
    df = shop.table("fact_order_line")
    assert len(df) == 5
    assert df.loc[df.order_id == "1002", "unit_price"].item() == pytest.approx(8.99)


def test_bad_rows_are_quarantined_with_reason_and_row(tmp_path: Path):
    s = Shop.open(tmp_path / "d")
    bad = LINES + (
        "1005,1,2024-03-07 10:00,SKU-1,abc,9.99,C1\n"      # line 6: wrong type
        "1006,1,31/02/2024,SKU-1,1,9.99,C1\n"               # line 7: unparseable date
        "1007,1,2024-03-07 10:00,SKU-1,1,-5,C1\n"           # line 8: negative price
        "1001,1,2024-03-01 10:00,SKU-9,1,1.00,C1\n"         # line 9: duplicate key
        "1008,1,2024-03-07 10:00,,1,1.00,C1\n"              # line 10: missing product
    )
    result = s.ingest(_write(tmp_path / "bad.csv", bad), table="order_lines")
    rep = result.tables["order_lines"]
    assert (rep.rows_in, rep.rows_ok, rep.rows_quarantined) == (9, 4, 5)
    q = s.quarantine("order_lines").set_index("_source_row")["_reason"].to_dict()
    assert q[6] == 'quantity: "abc" is not a whole number'
    assert q[7] == 'ordered_at: "31/02/2024" is not a date and time'
    assert q[8].startswith("unit_price: -5.0 is below the minimum 0")
    assert q[9] == "duplicate key (order_id=1001, line_no=1): first at row 2"
    assert q[10] == "product_id: missing"
    assert set(s.quarantine()["_source_file"]) == {str(tmp_path / "bad.csv")}


def test_missing_required_column_says_which(tmp_path: Path):
    s = Shop.open(tmp_path / "d")
    path = _write(tmp_path / "x.csv", "order_id,ordered_at,quantity\n1,2024-01-01,1\n")
    with pytest.raises(SourceError, match=r"x\.csv: missing required column\(s\) product_id, unit_price"):
        s.ingest(path, table="order_lines")
    assert s.batches() == []


def test_empty_and_corrupt_files(shop: Shop, tmp_path: Path):
    before = _fingerprint(shop)
    empty = _write(tmp_path / "empty.csv", "")
    with pytest.raises(SourceError, match="empty"):
        shop.ingest(empty, table="order_lines")
    header_only = _write(tmp_path / "header.csv", "order_id,line_no,ordered_at,product_id,quantity,unit_price\n")
    with pytest.raises(ShopopsError, match="no data rows"):
        shop.ingest(header_only, table="order_lines")
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"order_id": ["1"] * 1000, "product_id": ["a"] * 1000}), good)
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(SourceError, match="not a readable Parquet file"):
        shop.ingest(truncated, table="order_lines")
    assert _fingerprint(shop) == before


def test_mapping_file(tmp_path: Path):
    data = _write(tmp_path / "export.csv",
                  "Invoice;Date;SKU;Qty;Price\nA1;01/03/2024 10:00;P1;2;3,50\nA2;02/03/2024 11:00;P2;1;10,00\n")
    mapping = _write(tmp_path / "map.toml", """
[source]
table = "order_lines"
delimiter = ";"
[columns]
order_id = "Invoice"
ordered_at = "Date"
product_id = "SKU"
quantity = "Qty"
unit_price = "Price"
[parse]
date_formats = ["%d/%m/%Y %H:%M"]
decimal = ","
[defaults]
channel = "shopify"
""")
    s = Shop.open(tmp_path / "d")
    s.ingest(data, mapping=mapping)
    df = s.table("fact_order_line").sort_values("order_id")
    assert df["unit_price"].tolist() == [3.5, 10.0]
    assert str(df["ordered_at"].iloc[0]) == "2024-03-01 10:00:00"
    assert set(df["channel"]) == {"shopify"}


def test_headers_differing_only_in_case_are_the_canonical_columns(tmp_path: Path):
    """ "Quantity" is quantity: once, such a header came through as missing on every line."""
    text = "Order_ID,Line_No,Ordered_At,Product_ID,Quantity,Unit_Price\nA1,1,2024-05-01 10:00,P1,2,3.5\n"
    mapping = _write(tmp_path / "map.toml", """
[source]
table = "order_lines"
[columns]
order_id = "Order_ID"
line_no = "Line_No"
ordered_at = "Ordered_At"
product_id = "Product_ID"
quantity = "Quantity"
unit_price = "Unit_Price"
""")
    # Mapped explicitly, or not mapped at all: either way Line_No is line_no, as in a canonical file.
    implicit = _write(tmp_path / "implicit.toml", '[source]\ntable = "order_lines"\n[columns]\nquantity = "Quantity"\n')
    for name, how in (("canonical", {"table": "order_lines"}), ("mapping", {"mapping": mapping}),
                      ("implicit", {"mapping": implicit})):
        s = Shop.open(tmp_path / name)
        result = s.ingest(_write(tmp_path / f"{name}.csv", text), **how)
        assert (result.tables["order_lines"].rows_ok, result.tables["order_lines"].rows_quarantined) == (1, 0), name
        row = s.table("fact_order_line").iloc[0]
        assert (row["order_id"], row["line_no"], row["quantity"], row["unit_price"]) == ("A1", 1, 2, 3.5), name


def test_mapping_names_missing_column(tmp_path: Path):
    data = _write(tmp_path / "export.csv", "Invoice,Date,SKU,Qty,Price\nA1,2024-03-01,P1,2,3.5\n")
    mapping = _write(tmp_path / "map.toml", """
[source]
table = "order_lines"
[columns]
order_id = "Invoice"
ordered_at = "Order Date"
product_id = "SKU"
quantity = "Qty"
unit_price = "Price"
""")
    with pytest.raises(MappingError, match=r"column 'Order Date' \(for ordered_at\) not found in .*export\.csv; "
                                           r"the file has: Invoice, Date, SKU, Qty, Price"):
        Shop.open(tmp_path / "d").ingest(data, mapping=mapping)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8-sig", "gbk"])
def test_encodings(tmp_path: Path, encoding: str):
    text = "customer_id,name,city,country\nK1,Zoë Müller,Zürich,CH\nK2,王伟,北京市朝阳区,CN\n"
    expected = {"Zürich", "北京市朝阳区"}
    if encoding == "latin-1":
        text = "customer_id,name,city,country\nK1,Zoë Müller,Zürich,CH\nK2,José Peña,Córdoba,ES\n"
        expected = {"Zürich", "Córdoba"}
    if encoding == "gbk":
        text = "customer_id,name,city,country\nK1,李娜,上海,CN\nK2,王伟,北京市朝阳区,CN\n"
        expected = {"上海", "北京市朝阳区"}
    s = Shop.open(tmp_path / "d")
    s.ingest(_write(tmp_path / "c.csv", text, encoding), table="customers")
    cities = set(s.table("dim_customer")["city"])
    assert cities == expected


def test_personal_data_is_pseudonymised(tmp_path: Path):
    text = ("customer_id,name,email,phone,city\n"
            "K1,Ann Smith,Ann.Smith@Example.com,+44 20 7946 0000,London\n")
    s = Shop.open(tmp_path / "d")
    s.ingest(_write(tmp_path / "c1.csv", text), table="customers")
    row = s.table("dim_customer").iloc[0]
    assert row["email"].startswith("pii_") and "Smith" not in row["email"]
    assert row["name"].startswith("pii_") and row["phone"].startswith("pii_")
    assert row["city"] == "London"  # not personal on its own
    # Normalised before hashing: same person, other spelling, same pseudonym.
    s.ingest(_write(tmp_path / "c2.csv", "customer_id,email,phone\nK2,ann.smith@example.COM,0044-20-79460000\n"),
             table="customers")
    df = s.table("dim_customer").set_index("customer_id")
    assert df.loc["K2", "email"] == df.loc["K1", "email"]
    # No raw copy of personal data anywhere in the lake.
    for f in (tmp_path / "d" / "lake").rglob("*.parquet"):
        assert b"Smith" not in f.read_bytes()


@pytest.mark.parametrize("key", [b"k" * 32, b"short", b"L" * 100])
def test_pseudonyms_in_sql_equal_the_python_definition(key: bytes):
    """Printable-ASCII values are hashed inside DuckDB, others in Python: one pseudonym per value either way."""
    import random
    import string

    import duckdb

    from shopops.ingest.pii import PiiHasher

    rng = random.Random(7)
    alphabet = string.printable + "ÀÉßİıﬁ中文ａ０٣\u00a0\u3000\u2028ǅ"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16))) for _ in range(3_000)]
    values += ["  Ann   Smith  ", "ANN SMITH", "+44 (0)20 7946-0000", "Ann.Smith@Example.COM ", "", " ", "a\tb"]
    hasher = PiiHasher(key)
    for column in ("name", "email", "phone", "address", "postcode"):
        with duckdb.connect() as con:
            con.execute(f'CREATE TABLE t AS SELECT unnest(?) AS "{column}"', [values])
            counts = hasher.apply(con, "t", [column])
            got = sorted(r[0] for r in con.execute(f'SELECT "{column}" FROM t').fetchall())
        assert got == sorted(hasher.pseudonym(column, v) for v in values), column
        assert counts[column] == len(set(values))


def test_failed_ingest_leaves_earlier_data_intact(shop: Shop, tmp_path: Path):
    before = _fingerprint(shop)
    kpis = shop.kpis("day")
    with pytest.raises(ShopopsError):
        shop.ingest(_write(tmp_path / "junk.bin", "\x00\x01garbage"), table="order_lines", format="parquet")
    assert _fingerprint(shop) == before
    pd.testing.assert_frame_equal(shop.kpis("day"), kpis)


def test_kill_9_mid_ingest_then_rerun(tmp_path: Path):
    """A hard kill while an ingest runs leaves the lake and warehouse as before; the rerun completes."""
    data = tmp_path / "d"
    s = Shop.open(data)
    s.ingest(_write(tmp_path / "lines.csv", LINES), table="order_lines")
    before = _fingerprint(s)
    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write("order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id\n")
        for i in range(600_000):
            fh.write(f"B{i},1,2024-04-01 10:00,SKU-{i % 500},1,2.5,C{i % 9000}\n")
    code = (f"from shopops import Shop; Shop.open({str(data)!r}).ingest({str(big)!r}, table='order_lines')")
    proc = subprocess.Popen([sys.executable, "-c", code])
    staging = data / "lake" / "_staging"
    deadline = time.time() + 60
    while time.time() < deadline and not (staging.is_dir() and any(staging.iterdir())):
        time.sleep(0.005)
    assert staging.is_dir() and any(staging.iterdir()), "ingest never started staging"
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _fingerprint(s) == before
    result = s.ingest(big, table="order_lines")
    assert result.status == "committed"
    assert not any(staging.iterdir())
    assert s.sql("SELECT count(*) FROM fact_order_line").iloc[0, 0] == 600_004


def test_unknown_table_and_adapter(tmp_path: Path):
    path = _write(tmp_path / "x.csv", "a,b\n1,2\n")
    with pytest.raises(KeyError, match="unknown table 'nope'"):
        Shop.open(tmp_path / "d").ingest(path, table="nope")
    with pytest.raises(MappingError, match="cannot tell which table"):
        Shop.open(tmp_path / "d").ingest(path)
    with pytest.raises(MappingError, match="unknown adapter"):
        Shop.open(tmp_path / "d").ingest(path, adapter="magic")


def test_key_replaced_twice_and_null_key_parts(tmp_path: Path):
    """The latest batch wins per key, also over several batches and when a key part is empty."""
    s = Shop.open(tmp_path / "d")
    for i, (qty, price) in enumerate([(5, 1.0), (6, 2.0), (7, 3.0)]):
        s.ingest(_write(tmp_path / f"stock{i}.csv",
                        f"product_id,date,on_hand,location\nP1,2024-01-01,{qty},\nP2,2024-01-0{i + 1},1,\n"),
                 table="stock")
        s.ingest(_write(tmp_path / f"lines{i}.csv",
                        f"order_id,line_no,ordered_at,product_id,quantity,unit_price\n1,1,2024-01-01,P1,1,{price}\n"),
                 table="order_lines")
    stock = s.table("fact_inventory").sort_values(["product_id", "date"])
    assert stock[stock.product_id == "P1"]["on_hand"].tolist() == [7]   # one row: the third batch's
    assert len(stock[stock.product_id == "P2"]) == 3                   # three different days, all kept
    lines = s.table("fact_order_line")
    assert lines["unit_price"].tolist() == [3.0]


@pytest.mark.slow
def test_file_larger_than_the_memory_limit_streams(tmp_path: Path):
    """A CSV over twice DuckDB's memory limit ingests whole; memory follows the limit, not the file.

    Size: SHOPOPS_BIG_INGEST_MB (default 800) against a 384 MB limit. Peak RSS is the limit plus a
    fixed overhead (Python, Arrow batches); a 2 GB file with a 1 GB limit peaked at 1.56 GiB.
    """
    size_mb = int(os.environ.get("SHOPOPS_BIG_INGEST_MB", "800"))
    limit_mb = 384
    big = tmp_path / "big.csv"
    block = "".join(f"{{k}}-{i},1,2024-03-{1 + i % 28:02d} 10:00,SKU-{i % 997},{1 + i % 5},2.5,C{i % 5000}\n"
                    for i in range(10_000))
    rows = 0
    with big.open("w") as fh:
        fh.write("order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id\n")
        k = 0
        while fh.tell() < size_mb << 20:
            fh.write(block.replace("{k}", f"B{k}"))
            rows += 10_000
            k += 1
    # The peak is VmHWM, the high-water mark of this process's own address space. Not ru_maxrss: Linux keeps
    # that across execve, so a child spawned from a pytest worker holding 3 GB reported the worker's 3 GB.
    code = ("from shopops import Shop; "
            f"r = Shop.open({str(tmp_path / 'd')!r}).ingest({str(big)!r}, table='order_lines', build=False); "
            "hwm = [line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')][0]; "
            "print(r.tables['order_lines'].rows_ok, hwm)")
    env = dict(os.environ, SHOPOPS_DUCKDB_MEMORY_LIMIT=f"{limit_mb}MB")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    ok, peak_kib = (int(x) for x in out.stdout.split())
    assert ok == rows
    assert peak_kib >> 10 < limit_mb + 900, f"peak RSS {peak_kib >> 10} MiB: memory did not stay bounded"


def test_paths_with_quotes(tmp_path: Path):
    """A folder called "O'Brien's shop" is data, not SQL: every file path is quoted as a literal."""
    folder = tmp_path / "O'Brien's shop"
    folder.mkdir()
    s = Shop.open(folder / "data")
    s.ingest(_write(folder / "a'1.csv", LINES), table="order_lines")
    text = LINES.replace("1003,1,2024-03-05 09:15,SKU-3,5,1.50,", "1003,1,2024-03-05 09:15,SKU-3,6,1.50,")
    s.ingest(_write(folder / "a'2.csv", text), table="order_lines")    # replaces order 1003: superseded keys
    df = s.table("fact_order_line")
    assert len(df) == 4
    assert df.loc[df.order_id == "1003", "quantity"].item() == 6
    bad = _write(folder / "b'ad.csv", "order_id,line_no,ordered_at,product_id,quantity,unit_price\n9,1,x,A,1,1\n")
    s.ingest(bad, table="order_lines")
    assert s.quarantine("order_lines")["_source_file"].tolist() == [str(bad)]


def test_warehouse_built_by_other_models_is_rebuilt_not_misread(tmp_path: Path):
    """After an upgrade that adds a model, the old warehouse lacks its table: say so, and rebuild."""
    import duckdb

    from shopops.errors import WarehouseError
    from shopops.warehouse import warehouse_is_current

    data = _write(tmp_path / "lines.csv", "order_id,line_no,ordered_at,product_id,quantity,unit_price\n"
                                          "A1,1,2024-05-01 10:00,P1,2,3.5\nA2,1,2024-05-02 11:00,P1,1,3.5\n")
    s = Shop.open(tmp_path / "d")
    s.ingest(data, table="order_lines")
    assert warehouse_is_current(tmp_path / "d")
    with duckdb.connect(str(s.warehouse_path)) as con:  # what an older shopops left behind
        con.execute("DROP TABLE fact_demand_day; UPDATE _meta SET value = 'older' WHERE key = 'models'")
    assert not warehouse_is_current(tmp_path / "d")
    with pytest.raises(WarehouseError, match="shopops build"):
        s.sql("SELECT * FROM fact_demand_day")
    # The next ingest, even of a file already in the lake, rebuilds it.
    assert s.ingest(data, table="order_lines").status == "skipped"
    assert warehouse_is_current(tmp_path / "d")
    assert s.sql("SELECT sum(units) AS u FROM fact_demand_day")["u"].iloc[0] == 3
