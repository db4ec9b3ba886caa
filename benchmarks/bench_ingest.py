"""Online Retail: shopops ingest → lake → warehouse vs the plain pandas path, in one run.

The pandas path does the same job in idiomatic pandas: read, type-check, drop exact duplicates,
classify line types (cancellations, write-offs, non-products), derive products and customers,
and write the three tables into SQLite with ``to_sql``.

Usage: python benchmarks/bench_ingest.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import pandas as pd

from shopops import Shop

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
NON_PRODUCTS = {"POST", "DOT", "C2", "D", "M", "m", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B"}


def pandas_path(out: Path) -> int:
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


def shopops_path(data_dir: Path) -> int:
    result = Shop.open(data_dir).ingest(DATA)
    return result.tables["order_lines"].rows_ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"shopops": [], "pandas": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            rows_s = shopops_path(Path(tmp) / "data")
            times["shopops"].append(time.perf_counter() - t)
            t = time.perf_counter()
            rows_p = pandas_path(Path(tmp) / "p.sqlite")
            times["pandas"].append(time.perf_counter() - t)
            shutil.rmtree(tmp, ignore_errors=True)
    best = {k: min(v) for k, v in times.items()}
    print(f"Online Retail, 541,909 lines; best of {args.repeat}")
    print(f"  shopops ingest→lake→warehouse (validated, quarantine, KPIs): {best['shopops']:.2f} s ({rows_s:,} rows)")
    print(f"  pandas read+clean+to_sql(SQLite):                          {best['pandas']:.2f} s ({rows_p:,} rows)")
    print(f"  ratio pandas/shopops: {best['pandas'] / best['shopops']:.2f}x")


if __name__ == "__main__":
    main()
