"""Ingest of the real UCI Online Retail data must reproduce its published facts."""

from __future__ import annotations

import pytest


def test_published_counts(retail_shop):
    shop, _ = retail_shop
    row = shop.sql(
        "SELECT count(DISTINCT order_id) AS invoices, count(DISTINCT product_id) AS codes, "
        "count(DISTINCT customer_id) AS customers, count(DISTINCT country) AS countries FROM fact_order_line"
    ).iloc[0]
    assert (row.invoices, row.codes, row.customers, row.countries) == (25_900, 4_070, 4_372, 38)
    assert len(shop.table("dim_product")) == 4_070
    assert len(shop.table("dim_customer")) == 4_372


def test_nothing_silently_dropped(retail_shop):
    shop, result = retail_shop
    lines = result.tables["order_lines"]
    assert lines.rows_in == 541_909
    assert lines.rows_ok + lines.rows_quarantined == 541_909
    # The only quarantined rows are the published 5,268 exact duplicates.
    assert lines.reasons == {"exact duplicate of row #": 5_268}
    q = shop.quarantine("order_lines", limit=10_000)
    assert len(q) == 5_268
    assert q["_reason"].str.startswith("exact duplicate of row ").all()
    assert (q["_source_row"] > 0).all()


def test_cancellations_and_writeoffs_are_not_sales(retail_shop):
    shop, _ = retail_shop
    # All 9,288 lines of C invoices are cancellations (or money-only lines of them), never sales;
    # 9,288 minus those quarantined as duplicates are in the warehouse.
    c = shop.sql("SELECT line_type, count(*) AS n FROM fact_order_line WHERE order_id LIKE 'C%' GROUP BY 1")
    q = shop.sql("SELECT count(*) AS n FROM quarantine WHERE json_extract_string(row_json, '$.order_id') LIKE 'C%'")
    assert int(c["n"].sum()) + int(q["n"].iloc[0]) == 9_288
    assert "sale" not in set(c["line_type"])
    # The 1,336 negative lines outside cancellations are stock write-offs, not sales or returns.
    w = shop.sql("SELECT line_type, count(*) AS n FROM fact_order_line WHERE quantity < 0 AND order_id NOT LIKE 'C%'"
                 " GROUP BY 1")
    assert set(w["line_type"]) <= {"writeoff", "manual", "adjustment", "shipping", "fee", "sample", "discount"}
    assert int(w["n"].sum()) <= 1_336
    non_products = set(shop.sql("SELECT product_id FROM dim_product WHERE NOT is_product")["product_id"])
    assert {"POST", "DOT", "M", "BANK CHARGES", "AMAZONFEE", "D", "CRUK"} <= non_products
    assert shop.sql("SELECT count(*) AS n FROM fact_order_line WHERE product_id = 'POST' AND line_type = 'sale'"
                    ).iloc[0, 0] == 0


def test_outlier_reported_not_dropped(retail_shop):
    shop, result = retail_shop
    outliers = result.tables["order_lines"].outliers
    assert any(o.get("quantity") == 80_995 for o in outliers)
    assert shop.sql("SELECT count(*) FROM fact_order_line WHERE quantity = 80995").iloc[0, 0] == 1


def test_kpis_match_independent_computation(retail_shop):
    shop, _ = retail_shop
    kpis = shop.kpis("month")
    nov = kpis[kpis["period_start"].astype(str).str.startswith("2011-11")].iloc[0]
    # Independent pandas computation from the source file (after the same duplicate rule).
    import pandas as pd

    from tests.conftest import ONLINE_RETAIL

    df = pd.read_parquet(ONLINE_RETAIL)
    df = df[~df.duplicated()]
    df = df[(df.InvoiceDate >= "2011-11-01") & (df.InvoiceDate < "2011-12-01")]
    non_products = {"POST", "DOT", "C2", "D", "M", "m", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B"}
    is_prod = ~df.StockCode.isin(non_products) & ~df.StockCode.str.startswith("gift_0001_")
    sale = (is_prod & ~df.InvoiceNo.str[0].isin(["C", "A"]) & (df.Quantity > 0)
            & ~((df.UnitPrice == 0) & df.CustomerID.isna()))
    gross = float((df.Quantity * df.UnitPrice)[sale].sum())
    assert abs(nov.gross_sales - gross) < 1e-6 * gross
    assert nov.orders == df[sale].InvoiceNo.nunique()
    assert nov.customers == df[sale].CustomerID.nunique()
    cancelled = -float((df.Quantity * df.UnitPrice)[is_prod & df.InvoiceNo.str.startswith("C")].sum())
    assert abs(nov.cancellations - cancelled) < 1e-6 * max(cancelled, 1)
    assert 0 < nov.repeat_rate < 1


def test_published_csv_and_excel_layouts_give_the_same_lake(tmp_path, online_retail):
    """UCI publishes the file as Excel; copies circulate as CSV with m/d/Y dates and float ids.

    A slice of the real file written in those layouts must give exactly the lines the Parquet
    gives (an alias differing only in case once made every CSV line "quantity: missing").
    """
    openpyxl = pytest.importorskip("openpyxl")
    import duckdb
    import pandas as pd

    from shopops import Shop

    n = 3_000
    src = pd.read_parquet(online_retail).head(n)
    published = src.assign(InvoiceDate=src.InvoiceDate.dt.strftime("%-m/%-d/%Y %-H:%M"),
                           CustomerID=src.CustomerID.astype("float64"))
    published.to_csv(tmp_path / "Online Retail.csv", index=False)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Online Retail")
    ws.append(list(src.columns))
    for row in src.astype(object).where(src.notna(), None).itertuples(index=False):
        ws.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row])
    wb.save(tmp_path / "Online Retail.xlsx")
    duckdb.from_df(src).write_parquet(str(tmp_path / "slice.parquet"))

    def lines(name: str) -> tuple[pd.DataFrame, dict[str, int]]:
        shop = Shop.open(tmp_path / ("shop_" + name.replace(" ", "_")))
        result = shop.ingest(tmp_path / name, adapter="online_retail")
        report = result.tables["order_lines"]
        got = shop.sql("SELECT order_id, line_no, ordered_at, product_id, quantity, unit_price, customer_id, "
                       "line_type FROM fact_order_line ORDER BY order_id, line_no")
        return got, {"in": report.rows_in, "ok": report.rows_ok, **report.reasons}

    expected, counts = lines("slice.parquet")
    assert counts["in"] == n and counts["ok"] > 0.98 * n
    for name in ("Online Retail.csv", "Online Retail.xlsx"):
        got, got_counts = lines(name)
        assert got_counts == counts, name
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=name)
