"""10M simulated order lines: simulate, ingest, warehouse build; pandas computing the same KPIs.

Each phase runs in its own process so that its peak memory (max RSS) is its own.

Usage: python benchmarks/bench_warehouse.py [--lines 10000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHASES = {
    "simulate": """
from shopops.simulate import SimulationConfig, simulate_shop
s = simulate_shop(DATA / "sources" / "sim", SimulationConfig(target_order_lines=LINES))
print(json.dumps({"rows": s.rows["order_lines"]}))
""",
    "ingest": """
from shopops import Shop
from shopops.shop import SIMULATED_TABLES
shop = Shop.open(DATA)
for name in SIMULATED_TABLES:
    for part in sorted((DATA / "sources" / "sim" / name).glob("*.parquet")):
        shop.ingest(part, adapter="canonical", table=name, build=False)
print(json.dumps({"batches": len(shop.batches())}))
""",
    "build": """
from shopops import Shop
r = Shop.open(DATA).build()
print(json.dumps({"fact_order_line": r.tables["fact_order_line"], "kpi_period": r.tables["kpi_period"]}))
""",
    "pandas_kpis": """
import pandas as pd
from shopops.lake import Lake
lake = Lake(DATA)
lines = pd.concat([pd.read_parquet(p) for p, _ in lake.files("clean", "order_lines")], ignore_index=True)
products = pd.concat([pd.read_parquet(p) for p, _ in lake.files("clean", "products")], ignore_index=True)
lines = lines.merge(products[["product_id", "is_product"]], on="product_id", how="left")
lines["is_product"] = lines["is_product"].fillna(True).astype(bool)
lines["gross"] = lines["quantity"] * lines["unit_price"]
sale = lines[(lines["line_type"] == "sale") & lines["is_product"]].copy()
sale["month"] = sale["ordered_at"].dt.to_period("M")
first = sale.groupby("customer_id")["ordered_at"].min().dt.to_period("M").rename("first_month")
sale = sale.join(first, on="customer_id")
kpi = sale.groupby("month").agg(gross_sales=("gross", "sum"), orders=("order_id", "nunique"),
                                units=("quantity", "sum"), customers=("customer_id", "nunique"))
kpi["new_customers"] = sale[sale["first_month"] == sale["month"]].groupby("month")["customer_id"].nunique()
print(json.dumps({"months": len(kpi)}))
""",
}


def run_phase(name: str, data: Path, lines: int) -> tuple[float, float, dict]:
    code = f"import json\nfrom pathlib import Path\nDATA = Path({str(data)!r})\nLINES = {lines}\n" + PHASES[name]
    wrapper = (
        "import runpy, sys, time\n"
        "t = time.perf_counter()\n"
        f"exec(compile({code!r}, '<{name}>', 'exec'))\n"
        "sys.stderr.write(f'TIME {time.perf_counter() - t}\\n')\n"
        # VmHWM (KiB) of this process alone: ru_maxrss is kept across execve and would count the parent.
        "hwm = [line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')][0]\n"
        "sys.stderr.write(f'RSS {hwm}\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    info = dict(line.split(" ", 1) for line in proc.stderr.splitlines() if line.startswith(("TIME", "RSS")))
    return float(info["TIME"]), int(info["RSS"]) / 1024 / 1024, json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="shopops-bench-"))
    data = root / "data"
    results = {}
    try:
        for phase in ("simulate", "ingest", "build", "pandas_kpis"):
            t0 = time.perf_counter()
            seconds, rss_gib, out = run_phase(phase, data, args.lines)
            results[phase] = (seconds, rss_gib, out)
            print(f"{phase:12s} {seconds:7.1f} s  peak {rss_gib:5.2f} GiB  {out}  (wall {time.perf_counter() - t0:.1f} s)",
                  flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    build, peer = results["build"], results["pandas_kpis"]
    print(f"warehouse build (all models) {build[0]:.1f} s / {build[1]:.2f} GiB vs pandas monthly KPIs only "
          f"{peer[0]:.1f} s / {peer[1]:.2f} GiB: ratio {peer[0] / build[0]:.2f}x time, {peer[1] / build[1]:.2f}x memory")


if __name__ == "__main__":
    _ = resource
    main()
