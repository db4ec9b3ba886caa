"""Builds are repeatable (same lake, same table contents) and keys of two sources never collide unnoticed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopops import Shop
from shopops.config import Settings
from shopops.errors import IngestError
from shopops.warehouse import build_warehouse
from shopops.warehouse._models import load_models

OR_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def _contents(path: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-free hash of every table but the build's own record."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {n: con.execute(f'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM "{n}" AS t').fetchone()
                for n in sorted(names) if n != "_meta"}


def test_no_model_picks_an_arbitrary_value() -> None:
    for model in load_models():
        text = model.sql.lower()
        assert "any_value(" not in text and "mode(" not in text, model.name


@pytest.fixture(scope="module")
def conflicting_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300,000 lines in shuffled order; every order's two lines name different customers and countries."""
    root = tmp_path_factory.mktemp("repeatable")
    n = 300_000
    rng = np.random.default_rng(3)
    idx = rng.permutation(n)
    order = idx // 2
    path = root / "lines.parquet"
    pq.write_table(pa.table({
        "order_id": pa.array([f"O{o}" for o in order]), "line_no": pa.array(idx % 2 + 1),
        "ordered_at": pa.array((np.datetime64("2024-01-01T08:00:00", "s") + (order % 500).astype("timedelta64[D]")).astype("datetime64[s]")),
        "product_id": pa.array([f"P{i % 97}" for i in idx]), "quantity": pa.array(1 + idx % 3),
        "unit_price": pa.array(2.5 + idx % 7, pa.float64()), "customer_id": pa.array([f"C{i % 5001}" for i in idx]),
        "country": pa.array(np.where(idx % 2 == 0, "France", "Spain")),
    }), path, row_group_size=20_000)
    shop = Shop.open(root / "data", Settings(duckdb_threads=4))
    shop.ingest(path, table="order_lines", build=False)
    return shop.data_dir


def test_three_builds_give_identical_tables(conflicting_lake: Path) -> None:
    settings = Settings(duckdb_threads=4)
    seen = []
    for _ in range(3):
        build_warehouse(conflicting_lake, settings=settings)
        seen.append(_contents(conflicting_lake / "warehouse.duckdb"))
    assert seen[0] == seen[1] == seen[2]
    assert seen[0]["dim_customer"][0] == 5001


def test_conflicts_are_listed_with_the_first_line_rule(conflicting_lake: Path) -> None:
    shop = Shop.open(conflicting_lake)
    shop.build()
    conflicts = shop.sql("SELECT column_name, count(*) AS n FROM quality_order_conflict GROUP BY 1")
    assert dict(zip(conflicts["column_name"], conflicts["n"], strict=True)) == {"customer_id": 150_000,
                                                                                "country": 150_000}
    wrong = shop.sql("""SELECT count(*) AS n FROM fact_order o JOIN fact_order_line l
                        ON l.order_id = o.order_id AND l.line_no = 1
                        WHERE o.customer_id <> l.customer_id OR o.country <> l.country""")["n"].item()
    assert wrong == 0


def _or_file(path: Path) -> Path:
    path.write_text(OR_HEADER + "100001,85123A,WHITE HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
                                "100001,71053,WHITE LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom\n"
                                "100002,84406B,CREAM CUPID,8,12/1/2010 8:28,2.75,13047,United Kingdom\n")
    return path


def test_another_sources_order_ids_are_refused_then_replaced_on_request(tmp_path: Path) -> None:
    shop = Shop.open(tmp_path / "d")
    shop.ingest(_or_file(tmp_path / "retail.csv"), adapter="online_retail")
    sim = tmp_path / "sim.csv"
    sim.write_text("order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id\n"
                   "100001,1,2024-05-01 10:00,SKU1,1,9.0,S1\n100003,1,2024-05-01 10:00,SKU1,1,9.0,S2\n")
    before = [b.batch_id for b in shop.batches()]
    with pytest.raises(IngestError, match=r"1 order_lines rows .* another source .*online_retail, retail.csv.*100001/1"):
        shop.ingest(sim, table="order_lines")
    assert [b.batch_id for b in shop.batches()] == before
    assert shop.sql("SELECT count(*) AS n FROM fact_order_line")["n"].item() == 3
    result = shop.ingest(sim, table="order_lines", replace_keys=True)
    rep = result.tables["order_lines"]
    assert rep.replaced == 1 and rep.replaced_from[0]["adapter"] == "online_retail"
    assert rep.replaced_from[0]["examples"] == [{"order_id": "100001", "line_no": "1"}]
    assert any("replaced 1 rows" in w for w in result.warnings)
    report = shop.sql("SELECT report FROM ingest_report WHERE table_name = 'order_lines' ORDER BY seq DESC LIMIT 1")
    assert '"replaced": 1' in report["report"].item()
    # the order now mixes both sources' lines: listed as a conflict, the earliest line's customer kept
    conflict = shop.sql("SELECT * FROM quality_order_conflict WHERE order_id = '100001' AND column_name = 'customer_id'")
    assert conflict[["min_value", "max_value", "kept"]].iloc[0].tolist() == ["17850", "S1", "17850"]


def test_a_reexport_of_the_same_source_replaces_and_says_so(tmp_path: Path) -> None:
    shop = Shop.open(tmp_path / "d")
    text = "order_id,line_no,ordered_at,product_id,quantity,unit_price\n1,1,2024-01-01,P1,1,2.0\n2,1,2024-01-02,P1,1,2.0\n"
    (tmp_path / "a.csv").write_text(text)
    (tmp_path / "b.csv").write_text(text.replace("1,1,2024-01-01,P1,1,2.0", "1,1,2024-01-01,P1,3,2.0"))
    shop.ingest(tmp_path / "a.csv", table="order_lines")
    result = shop.ingest(tmp_path / "b.csv", table="order_lines")
    rep = result.tables["order_lines"]
    assert rep.replaced == 2 and rep.replaced_from[0]["files"] == ["a.csv"]
    assert any("replaced 2 rows" in w and "a.csv" in w for w in result.warnings)


def test_online_retail_names_ties_go_to_the_first_description(tmp_path: Path) -> None:
    """Two descriptions as frequent as each other: the product is named by the one the file shows first."""
    rows = [f"5{i:05d},22423,{d},1,12/1/2010 8:26,2.55,17850,{c}\n"
            for i, (d, c) in enumerate([("ZEBRA CAKE STAND", "France"), ("CAKE STAND", "Spain"),
                                        ("CAKE STAND", "Spain"), ("ZEBRA CAKE STAND", "France")])]
    names = set()
    for k in range(3):
        (tmp_path / f"or{k}.csv").write_text(OR_HEADER + "".join(rows) + f"9{k},X{k},OTHER,1,12/1/2010 8:26,1,1,UK\n")
        shop = Shop.open(tmp_path / f"d{k}")
        shop.ingest(tmp_path / f"or{k}.csv", adapter="online_retail")
        names.add(shop.sql("SELECT name FROM dim_product WHERE product_id = '22423'")["name"].item())
        assert shop.sql("SELECT country FROM dim_customer WHERE customer_id = '17850'")["country"].item() == "France"
    assert names == {"ZEBRA CAKE STAND"}
