"""Inventory: shopops' fill-rate policy against the best-tuned static min/max rule, in one run.

Both policies replay the same real daily demand (Online Retail) and the same simulated shop (its
true demand, sales plus lost sales) day by day, with the same lead times drawn once. The peer is
the min/max rule of ERPs (Odoo / ERPNext reordering rules: order up to max when the stock position
falls to min, reviewed daily), tuned on the replay itself over a grid of cover days, fixed and
refreshed monthly, per ABC class – as well as it can be tuned, with hindsight. Also times a plan
for the whole catalogue.

Online Retail has no stock, lead times or costs: assumed lead time 14 ± 3 days, unit cost 60 % of
the median selling price, holding 25 % a year, 10 per order line, review every 7 days (ours).

Usage: python benchmarks/bench_inventory.py [--sim-only] [--plots docs/img]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from shopops import Shop

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"


def run(name: str, shop: Shop, plots: Path | None) -> None:
    t = time.perf_counter()
    plan = shop.replenish()
    plan_s = time.perf_counter() - t
    t = time.perf_counter()
    cmp = shop.simulate_policy()
    replay_s = time.perf_counter() - t
    print(f"\n== {name}: {len(plan.lines):,} products; plan of the whole catalogue {plan_s:.2f} s; "
          f"replays {replay_s:.0f} s ({len(cmp.points)} policy points)")
    summary = cmp.summary()
    print(summary[["policy", "fill_rate", "average_stock_value", "nearest_point", "order_lines", "turnover",
                   "stockout_days", "total_cost"]].to_string(index=False))
    pts = cmp.points
    for policy in ("ours-pooled", "ours-per product", "minmax-static", "minmax-static-class", "minmax-monthly",
                   "minmax-monthly-class"):
        from shopops.inventory import frontier, stock_at

        front = frontier(pts[pts["policy"] == policy])
        print(f"  {policy:17s} stock at {cmp.target_fill:.0%} fill: {stock_at(front, cmp.target_fill):>14,.0f}  "
              f"(highest fill reached {front['fill_rate'].max():.3f})")
    static = 1 / (1 - cmp.saving_vs_static)
    print(f"  ratio static min/max (ERP) ÷ shopops stock at {cmp.target_fill:.0%} fill: {static:.2f}x "
          f"→ {cmp.saving_vs_static:.1%} less stock")
    print(f"  ratio best min/max (also refreshed monthly) ÷ shopops: {cmp.stock_minmax / cmp.stock_ours:.2f}x "
          f"→ {cmp.saving:.1%} less stock")
    if plots is not None:
        path = cmp.plot(plots / f"inventory_tradeoff_{name.lower().replace(' ', '_')}.png", name)
        print(f"  plot: {path}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sim-only", action="store_true")
    parser.add_argument("--plots", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sim = Shop.open(Path(tmp) / "sim")
        sim.simulate(seed=0)
        run("Simulated shop", sim, args.plots)
        if not args.sim_only and DATA.is_file():
            retail = Shop.open(Path(tmp) / "retail")
            retail.ingest(DATA)
            run("Online Retail", retail, args.plots)


if __name__ == "__main__":
    main()
