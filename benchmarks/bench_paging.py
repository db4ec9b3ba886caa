"""Paged JSON answers: the total counted in the page's own query vs a separate count query.

The products-with-a-date-range endpoint groups ``fact_order_line`` by product for the range. Before, a
JSON page ran that grouping twice (once for ``total``, once for the rows); now one query returns the page
with ``count(*) OVER ()`` as its total. Both run here, in one process, on the same snapshot of the same
warehouse, alternating, and the medians and their ratio are printed.

Usage: python benchmarks/bench_paging.py DATA_DIR [--rounds 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from shopops import Shop
from shopops.api import KeyStore, ServiceSettings
from shopops.api._common import Ctx, Paging, paged
from shopops.warehouse import sales_totals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    shop = Shop.open(args.data)
    reader = shop.reader
    lines = int(shop.sql("SELECT count(*) AS n FROM fact_order_line")["n"].item())
    window = "f.is_product AND (?::DATE IS NULL OR f.order_date >= ?) AND (?::DATE IS NULL OR f.order_date <= ?)"
    select = f"""SELECT * FROM (SELECT f.product_id, any_value(p.name) AS name, any_value(f.category) AS category,
        {sales_totals(typed=True)} FROM fact_order_line f LEFT JOIN dim_product p ON p.product_id = f.product_id
        WHERE {window} GROUP BY f.product_id)"""
    lo, hi = shop.sql("SELECT min(order_date) AS a, max(order_date) AS b FROM fact_order_line").iloc[0]
    start, end = lo + dt.timedelta(days=30), hi - dt.timedelta(days=30)
    params = [start, start, end, end]
    ctx = Ctx(shop, reader, KeyStore.for_data_dir(shop.data_dir), ServiceSettings())

    def two_queries() -> None:
        with reader.snapshot() as snap:
            snap.scalar(f"SELECT count(*) FROM ({select})", params)
            snap.frame(f"{select} ORDER BY net_sales DESC, product_id LIMIT ? OFFSET ?", [*params, 100, 0])

    def one_query() -> None:
        paged(ctx, select, [], list(params), "net_sales DESC, product_id", Paging(100, 0, "json"), "products")

    timings: dict[str, list[float]] = {"count + page (before)": [], "page with its total (shopops)": []}
    for run in (two_queries, one_query):
        run()  # warm the connection and the file cache
    for _ in range(args.rounds):
        for name, run in zip(timings, (two_queries, one_query), strict=True):
            t = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - t)
    print(f"products {start}..{end} on {lines:,} order lines, {args.rounds} rounds")
    for name, values in timings.items():
        print(f"  {name:32s} median {statistics.median(values) * 1000:8.1f} ms")
    before, after = (statistics.median(v) for v in timings.values())
    print(f"  ratio before/after: {before / after:.2f}x")


if __name__ == "__main__":
    main()
