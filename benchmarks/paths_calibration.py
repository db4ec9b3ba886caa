"""Are the forecaster's sample paths calibrated as totals, the way an inventory plan would use them?

Fits on the simulated shop up to 40 days before its end, draws 500 paths of the 40 days after, and
compares each product's path totals with its actual 40-day demand: the paths' mean against the
actual total (all products) and against the point forecast (median product), and how often the
actual total is below the paths' median and 90th percentile.

Usage: python benchmarks/paths_calibration.py [--data DIR]   (DIR: an ingested simulated shop)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from shopops import Shop
from shopops.demo import simulate_into
from shopops.forecast import DemandForecaster, demand_history


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--days", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.data is None:
            shop = Shop.open(Path(tmp))
            simulate_into(shop, seed=0)
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
    print(f"{len(ids)} products, {args.days} days from {cut + pd.Timedelta(days=1):%Y-%m-%d}")
    print(f"  paths' mean / actual demand (all products):   {totals.mean(axis=1).sum() / actual.sum():.3f}")
    print(f"  point forecast / actual demand:               {point.sum() / actual.sum():.3f}")
    print(f"  paths' mean / point forecast (median product): {np.median(totals.mean(axis=1)[sold] / point[sold]):.2f}")
    print(f"  actual total <= paths' q50: {(actual <= q50).mean():.3f}   <= q90: {(actual <= q90).mean():.3f}")


if __name__ == "__main__":
    main()
