"""How much better than the 28-day mean can a forecast of each product's level get on WRMSSE?

The oracle knows what no forecast can: each product's mean demand over the 28 days after the origin.
Spread over the days by the shop's weekday profile (of the 13 weeks before the origin), it is the best
forecast that does not foresee single days (the bulk orders that dominate the squared errors). Its
WRMSSE, beside the 28-day mean's on the same origins, bounds what a better level, trend or season can
gain; only day-by-day foresight goes beyond it.

    .venv/bin/python benchmarks/forecast_bound.py --data DIR --origins 4                 # Online Retail
    .venv/bin/python benchmarks/forecast_bound.py --data DIR --origins 3 --until 2011-08-19
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from shopops import Shop
from shopops.forecast import demand_history, revenue_history, to_panel
from shopops.forecast._metrics import naive_scales


def wrmsse(actual: np.ndarray, point: np.ndarray, mse: np.ndarray, weight: np.ndarray) -> float:
    """Revenue-weighted RMSSE over the series that can be scaled (as in the backtest)."""
    ok = np.isfinite(mse)
    w = np.where(ok, weight, 0.0) / np.where(ok, weight, 0.0).sum()
    rmsse = np.sqrt(((point - actual) ** 2).mean(axis=1) / np.where(ok, mse, 1.0))
    return float((w * np.where(ok, rmsse, 0.0)).sum())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True, help="an ingested data directory")
    parser.add_argument("--origins", type=int, default=4)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--until", default=None, help="end the history on this day")
    args = parser.parse_args()
    shop = Shop.open(args.data)
    panel = to_panel(demand_history(shop.reader, until=args.until), "D")
    rev = to_panel(revenue_history(shop.reader, until=args.until), "D")
    h, n = args.horizon, len(panel.dates)
    rows = []
    for t in [n - 1 - h - h * j for j in reversed(range(args.origins))]:
        sold = panel.start <= t
        history = np.nan_to_num(panel.values[sold, :t + 1])
        actual = np.nan_to_num(panel.values[sold, t + 1:t + 1 + h])
        _, mse = naive_scales(panel.values[sold, :t + 1])
        weight = np.nan_to_num(rev.values[sold, t + 1 - h:t + 1]).sum(axis=1)
        days = np.clip(t + 1 - panel.start[sold], 1, h)
        mean28 = np.repeat((history[:, -h:].sum(axis=1) / days)[:, None], h, axis=1)
        total = history.sum(axis=0)[-91:]
        weekday = (np.arange(t - 90, t + 1) - (t + 1)) % 7
        profile = np.array([total[weekday == d].mean() for d in range(7)]) / total.mean()
        oracle = actual.mean(axis=1, keepdims=True) * profile[np.arange(h) % 7][None, :]
        rows.append({"origin": panel.dates[t].date(), "28-day mean": wrmsse(actual, mean28, mse, weight),
                     "oracle level x weekday": wrmsse(actual, oracle, mse, weight),
                     "oracle level, flat": wrmsse(actual, np.repeat(actual.mean(axis=1, keepdims=True), h, axis=1),
                                                  mse, weight),
                     "zero": wrmsse(actual, np.zeros_like(actual), mse, weight)})
    table = pd.DataFrame(rows)
    table["oracle / 28-day mean"] = table["oracle level x weekday"] / table["28-day mean"]
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    mean = table.drop(columns="origin").mean()
    print(f"mean over origins: 28-day mean {mean['28-day mean']:.4f}, oracle {mean['oracle level x weekday']:.4f}, "
          f"oracle / 28-day mean = {mean['oracle level x weekday'] / mean['28-day mean']:.3f}")


if __name__ == "__main__":
    main()
