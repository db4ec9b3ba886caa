"""The floor under any Online Retail ingest into a lake and a warehouse, in plain DuckDB.

Only the work no real ingest can skip, hand-written for this one file: read it, type and
classify every line, find exact duplicates (hash aggregate), number lines within invoices,
write the clean lines, products and customers as Parquet, copy the lines into a warehouse
table and aggregate orders and product-months from it. No per-rule reasons, report, outlier
scan, idempotence, atomic commit or dimension/KPI set.

shopops cannot be faster than this; ``bench_ingest.py`` compares the pandas paths with it.

Usage: python benchmarks/floor_ingest.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
NON_PRODUCTS = "'POST', 'DOT', 'C2', 'D', 'M', 'm', 'S', 'BANK CHARGES', 'AMAZONFEE', 'CRUK', 'B'"


def floor(out: Path) -> float:
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads = 2; SET preserve_insertion_order = false")
    con.execute(f"""CREATE TEMP TABLE s AS
        SELECT NULLIF(TRIM(InvoiceNo), '') AS order_id, InvoiceDate AS ordered_at,
               NULLIF(TRIM(StockCode), '') AS product_id, Quantity AS quantity, UnitPrice AS unit_price,
               CAST(CustomerID AS VARCHAR) AS customer_id, NULLIF(TRIM(Country), '') AS country, Description,
               CASE WHEN InvoiceNo LIKE 'A%' THEN 'adjustment'
                    WHEN StockCode IN ({NON_PRODUCTS}) OR StockCode LIKE 'gift%' THEN 'non_product'
                    WHEN InvoiceNo LIKE 'C%' THEN 'cancellation'
                    WHEN UnitPrice = 0 AND CustomerID IS NULL THEN 'writeoff'
                    WHEN Quantity < 0 THEN 'writeoff' ELSE 'sale' END AS line_type,
               file_row_number + 1 AS source_row,
               hash(InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country) AS h
        FROM read_parquet('{DATA}', file_row_number = true)""")
    con.execute("""CREATE TEMP TABLE lines AS
        WITH o AS (SELECT order_id, min(source_row) AS lo FROM s GROUP BY order_id),
             d AS (SELECT order_id, h, min(source_row) AS first_row FROM s GROUP BY ALL HAVING count(*) > 1)
        SELECT s.* EXCLUDE (h), s.source_row - o.lo + 1 AS line_no
        FROM s JOIN o USING (order_id) LEFT JOIN d ON d.order_id = s.order_id AND d.h = s.h
        WHERE d.first_row IS NULL OR d.first_row = s.source_row""")
    for name, sql in [
        ("order_lines", "SELECT * EXCLUDE (Description) FROM lines"),
        ("products", "SELECT product_id, mode(Description) AS name, median(unit_price) AS unit_price, "
                     "min(ordered_at) AS launched_at FROM lines GROUP BY ALL"),
        ("customers", "SELECT customer_id, mode(country) AS country, min(ordered_at) AS acquired_at "
                      "FROM lines WHERE customer_id IS NOT NULL GROUP BY ALL"),
    ]:
        con.execute(f"COPY ({sql}) TO '{out / name}.parquet' (FORMAT parquet, COMPRESSION zstd)")
    con.close()
    wh = duckdb.connect(str(out / "warehouse.duckdb"))
    wh.execute("SET threads = 2; SET preserve_insertion_order = false")
    wh.execute(f"CREATE TABLE fact_order_line AS SELECT *, quantity * unit_price AS gross_amount "
               f"FROM read_parquet('{out / 'order_lines.parquet'}')")
    wh.execute("CREATE TABLE fact_order AS SELECT order_id, min(ordered_at) AS ordered_at, "
               "sum(gross_amount) AS gross, count(*) AS lines FROM fact_order_line GROUP BY order_id")
    wh.execute("CREATE TABLE kpi_product_month AS SELECT date_trunc('month', ordered_at) AS month, product_id, "
               "sum(gross_amount) AS gross, count(DISTINCT order_id) AS orders FROM fact_order_line GROUP BY ALL")
    wh.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            times.append(floor(Path(tmp)))
    print(f"floor (plain DuckDB, irreducible work only): best {min(times):.2f} s; runs "
          + ", ".join(f"{t:.2f}" for t in times))


if __name__ == "__main__":
    main()
