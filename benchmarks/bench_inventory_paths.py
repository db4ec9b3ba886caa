"""Inventory on the forecaster's sample paths against the bootstrap, on the same replay, one run.

Both lead-time demand models drive the same fill-rate (R,S) policy (pooled: the overall target at the
least stock value) over the same days of demand with the same lead times; both replan every
``--replan`` days (the forecaster is refitted at each replan). Stock value is compared at the same
realised fill rate (95 %), on the frontier of the targets replayed.

    .venv/bin/python benchmarks/bench_inventory_paths.py --data DIR            # a shop's data directory
    .venv/bin/python benchmarks/bench_inventory_paths.py --data DIR --days 182 --replan 28

Online Retail has no stock, lead times or costs: the inventory defaults apply (as in bench_inventory).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from shopops import Shop
from shopops.inventory import (
    BootstrapDemand,
    FillRatePolicy,
    ForecastDemand,
    InventoryDefaults,
    daily_demand,
    frontier,
    load_params,
    prepare_params,
    replay_policy,
    stock_at,
)

TARGETS = (0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True, help="an ingested or simulated data directory")
    parser.add_argument("--days", type=int, default=182, help="days replayed at the end of the history")
    parser.add_argument("--replan", type=int, default=28, help="days between replans (and forecaster refits)")
    parser.add_argument("--target", type=float, default=0.95)
    args = parser.parse_args()
    shop = Shop.open(args.data)
    reader = shop.reader
    truth = int(reader.sql("SELECT count(*) AS n FROM fact_demand_truth")["n"].iat[0]) > 0
    demand = daily_demand(reader, truth=truth)
    start = demand.days - args.days
    selling = (demand.units[:, :start].sum(axis=1) > 0) & (demand.units[:, start:].sum(axis=1) > 0)
    demand = demand.subset(selling)
    defaults = InventoryDefaults()
    params = prepare_params(load_params(reader, demand, demand.end), demand, defaults)
    cost = params["unit_cost"].to_numpy(float)
    common = {"start": start, "unit_cost": cost, "lead_mean": params["lead_time_days"].to_numpy(float),
              "lead_sd": params["lead_time_sd_days"].to_numpy(float), "moq": params["moq"].to_numpy(float),
              "case_pack": params["case_pack"].to_numpy(float), "holding_rate": defaults.holding_rate,
              "order_cost": defaults.order_cost, "shortage_cost": params["shortage_cost"].to_numpy(float)}
    print(f"{args.data}: {len(demand.product_ids):,} products, {'true demand' if truth else 'sales'}, replay of the "
          f"last {args.days} days from {pd.Timestamp(demand.start) + pd.Timedelta(days=start):%Y-%m-%d}, replan every "
          f"{args.replan} days, targets {', '.join(f'{t:g}' for t in TARGETS)}")
    models = {"bootstrap": BootstrapDemand(),
              "forecast paths": ForecastDemand(first_day=demand.start, forecaster={"n_jobs": 1})}
    rows = []
    for name, sampler in models.items():
        started = time.perf_counter()
        for target in TARGETS:
            policy = FillRatePolicy(target, common["lead_mean"], common["lead_sd"], demand=sampler,
                                    replan_days=args.replan, unit_cost=cost)
            res = replay_policy(policy, demand.units, **common)  # type: ignore[arg-type]
            rows.append({"model": name, "target": target, "fill_rate": res.fill_rate,
                         "average_stock_value": res.average_stock_value, "order_lines": res.order_lines,
                         "stockout_days": res.stockout_days})
            print(f"  {name:15s} target {target:.2f}: fill {res.fill_rate:.4f}, stock value "
                  f"{res.average_stock_value:,.0f}", flush=True)
        print(f"  {name}: {time.perf_counter() - started:.0f} s for {len(TARGETS)} replays")
    points = pd.DataFrame(rows)
    at = {name: stock_at(frontier(points[points["model"] == name]), args.target) for name in models}
    for name, value in at.items():
        print(f"stock value at {args.target:.0%} realised fill, {name}: {value:,.0f}")
    ratio = at["forecast paths"] / at["bootstrap"]
    print(f"paths / bootstrap = {ratio:.3f} ({'paths need less' if ratio <= 1 else 'paths need more'} stock)"
          if np.isfinite(ratio) else "one of the two does not reach the target fill rate")


if __name__ == "__main__":
    main()
