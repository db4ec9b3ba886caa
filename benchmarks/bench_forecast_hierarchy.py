"""Category forecasts: bottom-up sums of product forecasts vs a direct model on category series.

    .venv/bin/python benchmarks/bench_forecast_hierarchy.py --data DIR   # an ingested (simulated) shop
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from shopops import Shop
from shopops.forecast import DemandForecaster, bottom_up, demand_history, fit_forecaster
from shopops.forecast._metrics import naive_scales

warnings.filterwarnings("ignore")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--origins", type=int, default=3)
    args = parser.parse_args()
    shop = Shop.open(args.data)
    h = args.horizon
    actual_all = demand_history(shop, level="category")
    last = actual_all["ds"].max()
    groups = shop.sql("SELECT CAST(product_id AS VARCHAR) AS unique_id, category FROM dim_product") \
        .set_index("unique_id")["category"]
    rows = []
    for k in reversed(range(args.origins)):
        origin = last - pd.Timedelta(days=h * (k + 1))
        history = actual_all[actual_all["ds"] <= origin]
        future = actual_all[(actual_all["ds"] > origin) & (actual_all["ds"] <= origin + pd.Timedelta(days=h))]
        wide = history.pivot(index="unique_id", columns="ds", values="y")
        _, mse = naive_scales(wide.to_numpy())
        scale = pd.Series(mse, index=wide.index)
        product_model = fit_forecaster(shop.reader, h, until=origin.date())
        candidates = {
            "bottom-up (sum of products)": bottom_up(product_model, groups, h, n_paths=500),
            "direct (category series)": DemandForecaster(horizon=h).fit(history).predict(h),
        }
        for name, forecast in candidates.items():
            both = future.merge(forecast, on=["unique_id", "ds"])
            err = both.assign(se=(both["yhat"] - both["y"]) ** 2).groupby("unique_id")["se"].mean()
            rows.append({"origin": origin.date(), "method": name,
                         "rmsse": float(np.sqrt(err / scale.reindex(err.index)).mean()),
                         "bias": float((both["yhat"] - both["y"]).sum() / both["y"].sum()),
                         "cover80": float((both["y"] <= both["q80"]).mean()),
                         "cover95": float((both["y"] <= both["q95"]).mean())})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(table.groupby("method")[["rmsse", "bias", "cover80", "cover95"]].mean().to_string(
        float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
