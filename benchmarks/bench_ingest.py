"""Online Retail: shopops ingest → lake → warehouse beside two plain-pandas paths, in one run.

- **pandas, same outputs** (``peer_pandas_ingest.py``): the same job in vectorised pandas — the
  same validation and quarantine reasons, line types, products, customers, data-quality report,
  Parquet lake and warehouse tables (facts, dimensions, KPIs), written with ``to_sql`` into SQLite.
  Its outputs are checked equal to shopops' in the run (``check_same``).
- **pandas, minimal**: read, coerce types, drop exact duplicates, classify line types, derive
  products and customers, ``to_sql`` of those three tables into SQLite — no quarantine, no report,
  no lake, no KPIs. A floor for what a quick script does, not the same job.

The three run interleaved, ``--repeat`` times; the best time of each is reported.

Usage: python benchmarks/bench_ingest.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer_pandas_ingest import check_same, pandas_ingest
from shopops import Shop
from shopops.ingest.pipeline import IngestResult
from shopops.lake import Lake

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
NON_PRODUCTS = {"POST", "DOT", "C2", "D", "M", "m", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B"}
WAREHOUSE_TABLES = ("dim_product", "fact_order_line", "fact_order", "dim_customer", "kpi_period",
                    "kpi_product_month", "kpi_category_month", "dim_date", "quarantine")


def pandas_minimal(out: Path) -> int:
    df = pd.read_parquet(DATA)
    df["Quantity"] = pd.to_numeric(df["Quantity"], errors="coerce")
    df["UnitPrice"] = pd.to_numeric(df["UnitPrice"], errors="coerce")
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"], errors="coerce")
    df = df[~df.duplicated()].copy()
    df["Description"] = df["Description"].str.strip()
    code, inv = df["StockCode"], df["InvoiceNo"]
    non_product = code.isin(NON_PRODUCTS) | code.str.startswith("gift_0001_")
    df["line_type"] = "sale"
    df.loc[(df.UnitPrice == 0) & df.CustomerID.isna(), "line_type"] = "writeoff"
    df.loc[df.Quantity < 0, "line_type"] = "writeoff"
    df.loc[inv.str.startswith("C"), "line_type"] = "cancellation"
    df.loc[non_product, "line_type"] = "non_product"
    df.loc[inv.str.startswith("A"), "line_type"] = "adjustment"
    df["line_no"] = df.groupby("InvoiceNo").cumcount() + 1
    df["amount"] = df["Quantity"] * df["UnitPrice"]
    products = df.groupby("StockCode").agg(name=("Description", lambda s: s.mode().iat[0] if s.notna().any() else None),
                                           first=("InvoiceDate", "min")).reset_index()
    customers = df.dropna(subset=["CustomerID"]).groupby("CustomerID").agg(
        country=("Country", lambda s: s.mode().iat[0]), first=("InvoiceDate", "min")).reset_index()
    with sqlite3.connect(out) as con:
        df.to_sql("order_lines", con, index=False)
        products.to_sql("products", con, index=False)
        customers.to_sql("customers", con, index=False)
    return len(df)


def export_reference(data_dir: Path, result: IngestResult, out: Path) -> None:
    """shopops' lake and warehouse as the CSVs ``check_same`` compares with (prefix ``0_``)."""
    out.mkdir(parents=True, exist_ok=True)
    report = {t: asdict(r) for t, r in result.tables.items()}
    (out / "0_report.json").write_text(json.dumps(report, default=str), encoding="utf-8")
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        for table in WAREHOUSE_TABLES:
            con.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{out / f'0_{table}.csv'}'")
    lake = Lake(data_dir)
    with duckdb.connect() as con:
        for zone, table in [("clean", "order_lines"), ("clean", "products"), ("clean", "customers"),
                            ("quarantine", "order_lines")]:
            files = [str(p) for p, _ in lake.files(zone, table)]
            con.execute(f"COPY (SELECT * FROM read_parquet({files}) ORDER BY ALL) TO '{out / f'0_{zone}_{table}.csv'}'")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"shopops": [], "same": [], "minimal": []}
    diffs: list[str] = []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            t = time.perf_counter()
            result = Shop.open(root / "shopops").ingest(DATA)
            times["shopops"].append(time.perf_counter() - t)
            t = time.perf_counter()
            pandas_ingest(DATA, root / "same")
            times["same"].append(time.perf_counter() - t)
            t = time.perf_counter()
            rows_minimal = pandas_minimal(root / "minimal.sqlite")
            times["minimal"].append(time.perf_counter() - t)
            if i == args.repeat - 1:
                export_reference(root / "shopops", result, root / "reference")
                diffs = check_same(root / "same", root / "reference", DATA)
            shutil.rmtree(tmp, ignore_errors=True)
    best = {k: min(v) for k, v in times.items()}
    rows = result.tables["order_lines"].rows_ok
    print(f"Online Retail, 541,909 lines; best of {args.repeat} (all runs: "
          + "; ".join(f"{k} " + ", ".join(f"{x:.2f}" for x in v) for k, v in times.items()) + ")")
    print(f"  shopops ingest → lake → warehouse:           {best['shopops']:6.2f} s ({rows:,} clean lines)")
    print(f"  pandas, same outputs (checked equal):        {best['same']:6.2f} s   "
          f"ratio {best['same'] / best['shopops']:.2f}x")
    print(f"  pandas, minimal (3 tables, no checks):       {best['minimal']:6.2f} s   "
          f"ratio {best['minimal'] / best['shopops']:.2f}x ({rows_minimal:,} lines)")
    print("  outputs: " + ("same as shopops" if not diffs else f"{len(diffs)} differences"))
    for d in diffs:
        print("    - " + d)


if __name__ == "__main__":
    main()
