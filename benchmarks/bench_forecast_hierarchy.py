"""Category forecasts: bottom-up sums of product forecasts vs a direct model on category series.

    .venv/bin/python benchmarks/bench_forecast_hierarchy.py --data DIR   # an ingested (simulated) shop

``--mintrace``: does MinTrace reconciliation (hierarchicalforecast) of the product forecasts with a
forecast of the shop's total beat bottom-up? Hierarchy total / (category /) product; base forecasts:
shopops per product, statsforecast AutoARIMA (weekly season) for the total and each category; the
residuals MinTrace weighs by are those of the forecaster's inner backtest (the 28 days before the
origin, forecast from the origin before them, as the scored forecasts are). Scored at the product
level like the forecast benchmark (revenue-weighted RMSSE, bias) and at the total.

    .venv/bin/python benchmarks/bench_forecast_hierarchy.py --data DIR --mintrace --origins 4
    .venv/bin/python benchmarks/bench_forecast_hierarchy.py --data DIR --mintrace --origins 3 --until 2011-08-19
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


def _aggregate_forecast(history: np.ndarray, h: int) -> np.ndarray:
    """AutoARIMA (weekly season) of one aggregate series: the base forecast of a total."""
    from statsforecast.models import AutoARIMA

    return np.maximum(np.asarray(AutoARIMA(season_length=7).forecast(y=history, h=h)["mean"], dtype=float), 0.0)


def mintrace_check(shop: Shop, horizon: int, origins: int, until: str | None) -> pd.DataFrame:
    """Product-level WRMSSE and bias of bottom-up vs MinTrace reconciliations, per origin."""
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import BottomUp, MinTrace

    from shopops.forecast import revenue_history, to_panel

    df = demand_history(shop.reader, until=until)
    revenue = revenue_history(shop.reader, until=until)
    panel, rev = to_panel(df, "D"), to_panel(revenue, "D")
    category = shop.sql("SELECT CAST(product_id AS VARCHAR) AS unique_id, category FROM dim_product") \
        .set_index("unique_id")["category"].reindex(panel.ids).fillna("uncategorised").to_numpy(dtype=str)
    reconcilers = [BottomUp(), MinTrace(method="ols"), MinTrace(method="wls_struct"),
                   MinTrace(method="wls_var"), MinTrace(method="mint_shrink")]
    n_periods, h = len(panel.dates), horizon
    rows = []
    for t in [n_periods - 1 - h - h * j for j in reversed(range(origins))]:
        origin = panel.dates[t]
        model = DemandForecaster(horizon=h).fit(
            df[df["ds"] <= origin], weights=pd.Series(np.nan_to_num(rev.values[:, t + 1 - h:t + 1]).sum(axis=1),
                                                      index=rev.ids))
        ids = panel.ids[panel.start <= t]
        at = pd.Index(model.ids_).get_indexer(ids)
        bottom = model.point(h)[at]
        residual = model.inner_residuals_.reindex(ids).fillna(0.0)
        inner_days = residual.columns
        inner_t = t - len(inner_days)
        history = np.nan_to_num(panel.values[panel.start <= t])
        labels = category[panel.start <= t]
        groups = {"total": np.ones(len(ids), bool)}
        if len(np.unique(labels)) > 1:
            groups.update({f"total/{c}": labels == c for c in np.unique(labels)})
        names = list(groups)
        s_matrix = pd.DataFrame(np.vstack([np.vstack([groups[g] for g in names]).astype(float),
                                           np.eye(len(ids))]), columns=ids)
        s_matrix.insert(0, "unique_id", [*names, *ids])
        tags = {"total": np.array(["total"]), **({"total/category": np.array(names[1:])} if len(names) > 1 else {}),
                "total/category/product" if len(names) > 1 else "total/product": np.asarray(ids)}
        future = panel.dates[t + 1:t + 1 + h]
        actual_inner = history[:, inner_t + 1:t + 1]
        bottom_inner = actual_inner - residual.to_numpy()  # the inner backtest's forecasts
        base, base_in, actual_in = [], [], []
        for g in names:
            member = groups[g]
            base.append(_aggregate_forecast(history[member, :t + 1].sum(axis=0), h))
            base_in.append(_aggregate_forecast(history[member, :inner_t + 1].sum(axis=0), len(inner_days)))
            actual_in.append(actual_inner[member].sum(axis=0))
        y_hat = pd.DataFrame({"unique_id": np.repeat([*names, *ids], h), "ds": np.tile(future, len(names) + len(ids)),
                              "shopops": np.concatenate([*base, bottom.reshape(-1)])})
        y_in = pd.DataFrame({"unique_id": np.repeat([*names, *ids], len(inner_days)),
                             "ds": np.tile(inner_days, len(names) + len(ids)),
                             "y": np.concatenate([*actual_in, actual_inner.reshape(-1)]),
                             "shopops": np.concatenate([*base_in, bottom_inner.reshape(-1)])})
        reconciled = HierarchicalReconciliation(reconcilers=reconcilers).reconcile(
            Y_hat_df=y_hat, Y_df=y_in, S_df=s_matrix, tags=tags)
        actual = np.nan_to_num(panel.values[panel.start <= t, t + 1:t + 1 + h])
        _, mse = naive_scales(panel.values[panel.start <= t, :t + 1])
        w = np.nan_to_num(rev.values[panel.start <= t, t + 1 - h:t + 1]).sum(axis=1) * np.isfinite(mse)
        w = w / w.sum()
        _, total_mse = naive_scales(history.sum(axis=0)[None, :t + 1])
        for column in [c for c in reconciled.columns if c.startswith("shopops")]:
            wide = reconciled.pivot(index="unique_id", columns="ds", values=column)
            point = np.maximum(wide.reindex(ids).to_numpy(dtype=float), 0.0)
            total = wide.loc["total"].to_numpy(dtype=float)
            rmsse = np.sqrt(((point - actual) ** 2).mean(axis=1) / mse)
            rows.append({"origin": origin.date(), "method": "base" if column == "shopops" else column.split("/", 1)[1],
                         "product WRMSSE": float(np.nansum(w * rmsse)),
                         "product bias": float((point - actual).sum() / actual.sum()),
                         "total RMSSE": float(np.sqrt(((total - actual.sum(axis=0)) ** 2).mean() / total_mse[0])),
                         "total bias": float((total.sum() - actual.sum()) / actual.sum())})
        print(pd.DataFrame(rows[-len(reconcilers) - 1:]).to_string(index=False, float_format=lambda x: f"{x:.4f}"),
              flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--mintrace", action="store_true", help="MinTrace vs bottom-up at the product level")
    parser.add_argument("--until", default=None, help="end the history on this day (tuning on earlier origins)")
    args = parser.parse_args()
    shop = Shop.open(args.data)
    if args.mintrace:
        table = mintrace_check(shop, args.horizon, args.origins, args.until)
        print(table.groupby("method", sort=False)[["product WRMSSE", "product bias", "total RMSSE", "total bias"]]
              .mean().to_string(float_format=lambda x: f"{x:.4f}"))
        return
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
