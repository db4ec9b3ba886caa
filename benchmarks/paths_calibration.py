"""Are the forecaster's sample paths calibrated as totals, the way an inventory plan would use them?

Fits on the simulated shop up to 40 days before its end, draws 500 paths of the 40 days after, and
compares each product's path totals with its actual 40-day demand: the paths' mean against the
actual total (all products) and against the point forecast (median product), and how often the
actual total is below the paths' median and 90th percentile.

With ``--plan`` it also plans the shop's purchases twice on its last day, once on the planner's
bootstrap and once on forecast paths covering every lead time plus review period (``PathDemand``),
and compares the levels.

Usage: python benchmarks/paths_calibration.py [--data DIR] [--plan]   (DIR: an ingested simulated shop)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from shopops import Shop
from shopops.forecast import DemandForecaster, demand_history
from shopops.inventory import PathDemand
from shopops.inventory._history import daily_demand
from shopops.inventory._params import InventoryDefaults, load_params, prepare_params
from shopops.inventory._planner import plan_replenishment


class _Paths(PathDemand):
    """PathDemand with the attributes the plan's explanations quote from the bootstrap."""

    window_days = 0
    pool_share = 0.0
    outlier_factor = None


def compare_plans(shop: Shop) -> None:
    """Order-up-to levels and lead-time demand: forecast paths against the bootstrap."""
    defaults = InventoryDefaults()
    demand = daily_demand(shop)
    params = prepare_params(load_params(shop, demand, demand.end), demand, defaults)
    boot = plan_replenishment(params, demand, demand.end, defaults=defaults).lines.set_index("product_id")
    span = params["lead_time_days"] + 5 * params["lead_time_sd_days"] + params["review_days"]
    h = int(span.max()) + 5
    model = DemandForecaster(horizon=h).fit(demand_history(shop))
    sample = model.sample_paths(h, n_paths=400, seed=0)
    row = {pid: i for i, pid in enumerate(sample.ids)}
    paths = np.zeros((len(demand.product_ids), 400, h), dtype=np.float32)
    for r, pid in enumerate(demand.product_ids):
        if pid in row:
            paths[r] = sample.paths[row[pid]]
    on_paths = plan_replenishment(params, demand, demand.end, defaults=defaults,
                                  sampler=_Paths(paths)).lines.set_index("product_id").reindex(boot.index)
    point = model.predict(h)["yhat"].sum() / h
    print(f"plans on {demand.end}, {len(boot)} products, paths of {h} days:")
    print(f"  daily demand: bootstrap {boot['daily_demand'].sum():.1f}, point forecast {point:.1f}, "
          f"paths' mean {sample.paths.mean(axis=(1, 2)).sum():.1f}")
    for col in ("demand_lead_review_mean", "order_up_to", "safety_stock"):
        x, y = boot[col].astype(float), on_paths[col].astype(float)
        print(f"  {col}: paths / bootstrap {y.sum() / x.sum():.2f} in total, "
              f"{np.median(y[x > 0] / x[x > 0]):.2f} for the median product")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--days", type=int, default=40)
    parser.add_argument("--plan", action="store_true", help="also compare plans on paths and on the bootstrap")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.data is None:
            shop = Shop.open(Path(tmp))
            shop.simulate(seed=0)
        else:
            shop = Shop.open(args.data)
        full = demand_history(shop)
        cut = full["ds"].max() - pd.Timedelta(days=args.days)
        model = DemandForecaster(horizon=args.days).fit(full[full["ds"] <= cut])
        paths = model.sample_paths(args.days, n_paths=500, seed=0)
        ids = list(paths.ids)
        actual = full[full["ds"] > cut].groupby("unique_id")["y"].sum().reindex(ids).fillna(0).to_numpy()
        point = model.predict(args.days).groupby("unique_id")["yhat"].sum().reindex(ids).to_numpy()
        totals = paths.paths.sum(axis=2)
        q50, q90 = np.quantile(totals, [0.5, 0.9], axis=1)
        sold = point > 0
        if args.plan:
            compare_plans(shop)
    print(f"{len(ids)} products, {args.days} days from {cut + pd.Timedelta(days=1):%Y-%m-%d}")
    print(f"  paths' mean / actual demand (all products):   {totals.mean(axis=1).sum() / actual.sum():.3f}")
    print(f"  point forecast / actual demand:               {point.sum() / actual.sum():.3f}")
    print(f"  paths' mean / point forecast (median product): {np.median(totals.mean(axis=1)[sold] / point[sold]):.2f}")
    print(f"  actual total <= paths' q50: {(actual <= q50).mean():.3f}   <= q90: {(actual <= q90).mean():.3f}")


if __name__ == "__main__":
    main()
