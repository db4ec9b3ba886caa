"""Demand forecasting: shopops beside its peers on the same origins, in one run.

    .venv/bin/python benchmarks/bench_forecast.py --origins 4 --theta --mlforecast          # Online Retail
    .venv/bin/python benchmarks/bench_forecast.py --origins 4 --theta --mlforecast --simulated --shop-inputs

Peers: statsforecast AutoETS and AutoTheta with their own intervals, mlforecast (LightGBM on standard
lags with its conformal intervals), the 28-day mean with negative-binomial quantiles, and on the
simulated shop the realised true demand as the forecast (the floor). Prints WRMSSE, WSPL, the
calibration of the top revenue decile, bias and the ratios; writes docs/img/forecast_*.png and an HTML
backtest report.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from shopops import Shop
from shopops.forecast import backtest, demand_history, revenue_history
from shopops.forecast._report import (
    coverage_figure,
    reliability_figure,
    series_figure,
    top_series,
    write_backtest_report,
)

ROOT = Path(__file__).resolve().parents[1]
ONLINE_RETAIL = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
IMG = ROOT / "docs" / "img"
warnings.filterwarnings("ignore", category=UserWarning)


def autoets_peer(n_jobs: int, model: str = "AutoETS"):
    """statsforecast AutoETS or AutoTheta (weekly season) with its own intervals, clipped at zero like ours."""
    from statsforecast import StatsForecast
    from statsforecast import models as sf_models

    def run(train: pd.DataFrame, h: int) -> pd.DataFrame:
        sf = StatsForecast(models=[getattr(sf_models, model)(season_length=7)], freq="D", n_jobs=n_jobs,
                           fallback_model=sf_models.Naive())
        out = sf.forecast(df=train[["unique_id", "ds", "y"]], h=h, level=[60, 80, 90, 98]).reset_index()
        frame = pd.DataFrame({"unique_id": out["unique_id"].astype(str), "ds": out["ds"],
                              "yhat": out[model], "q05": out[f"{model}-lo-90"], "q50": out[model],
                              "q80": out[f"{model}-hi-60"], "q90": out[f"{model}-hi-80"],
                              "q95": out[f"{model}-hi-90"], "q99": out[f"{model}-hi-98"]})
        cols = ["yhat", "q05", "q50", "q80", "q90", "q95", "q99"]
        frame[cols] = frame[cols].clip(lower=0)
        return frame

    return run


def nb_mean_peer():
    """The 28-day mean with negative-binomial quantiles fitted to the same 28 days (moments)."""
    from scipy import stats

    def run(train: pd.DataFrame, h: int) -> pd.DataFrame:
        last = train["ds"].max()
        recent = train[train["ds"] > last - pd.Timedelta(days=28)]
        ids = np.sort(train["unique_id"].unique())
        grouped = recent.groupby("unique_id")["y"]
        days = np.clip((last - train.groupby("unique_id")["ds"].min()).dt.days + 1, 1, 28).reindex(ids)
        # Zero-filled series: a series' missing recent days are days without demand.
        total = grouped.sum().reindex(ids, fill_value=0.0)
        mean = (total / days).to_numpy(dtype=float)
        square = (grouped.apply(lambda y: float((y ** 2).sum())).reindex(ids, fill_value=0.0) / days).to_numpy()
        var = np.maximum(square - mean ** 2, 0.0)
        phi = np.maximum((var - mean) / np.maximum(mean, 1e-9) ** 2, 1e-3)
        r = 1 / phi
        p = r / (r + np.maximum(mean, 1e-9))
        frame = pd.DataFrame({"unique_id": np.repeat(ids, h),
                              "ds": np.tile(pd.date_range(last, periods=h + 1, freq="D")[1:], len(ids)),
                              "yhat": np.repeat(mean, h)})
        for name, level in (("q05", 0.05), ("q50", 0.5), ("q80", 0.8), ("q90", 0.9), ("q95", 0.95), ("q99", 0.99)):
            frame[name] = np.repeat(np.where(mean > 0, stats.nbinom.ppf(level, r, p), 0.0), h)
        return frame

    return run


def mlforecast_peer(n_jobs: int):
    """mlforecast: LightGBM on lags 1, 7, 14, 28 and rolling means, with its conformal intervals.

    Series too short for the lags and two conformal windows get the 28-day mean peer's forecast.
    """
    import lightgbm
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean
    from mlforecast.utils import PredictionIntervals

    fallback = nb_mean_peer()

    def run(train: pd.DataFrame, h: int) -> pd.DataFrame:
        data = train[["unique_id", "ds", "y"]]
        size = data.groupby("unique_id")["ds"].transform("size")
        long_enough = data[size >= 2 * h + 29]
        mlf = MLForecast(models={"lgbm": lightgbm.LGBMRegressor(n_estimators=200, learning_rate=0.05, verbose=-1,
                                                                 n_jobs=n_jobs, random_state=0)},
                         freq="D", lags=[1, 7, 14, 28],
                         lag_transforms={1: [RollingMean(7), RollingMean(28)], 7: [RollingMean(4)]},
                         date_features=["dayofweek"])
        mlf.fit(long_enough, prediction_intervals=PredictionIntervals(n_windows=2, h=h))
        out = mlf.predict(h, level=[60, 80, 90, 98])
        frame = pd.DataFrame({"unique_id": out["unique_id"].astype(str), "ds": out["ds"], "yhat": out["lgbm"],
                              "q05": out["lgbm-lo-90"], "q50": out["lgbm"], "q80": out["lgbm-hi-60"],
                              "q90": out["lgbm-hi-80"], "q95": out["lgbm-hi-90"], "q99": out["lgbm-hi-98"]})
        cols = ["yhat", "q05", "q50", "q80", "q90", "q95", "q99"]
        frame[cols] = frame[cols].clip(lower=0)
        short = fallback(data[~data["unique_id"].isin(long_enough["unique_id"])], h) \
            if len(long_enough) < len(data) else frame.iloc[:0]
        return pd.concat([frame, short], ignore_index=True)

    return run


def truth_peer(shop: Shop):
    """The simulator's realised true demand (sales plus lost sales) as the forecast: the floor.

    No forecast can know the realised demand; the distance to it is the distance to the best possible.
    Its quantiles are the demand itself.
    """
    truth = shop.sql("SELECT CAST(product_id AS VARCHAR) AS unique_id, CAST(date AS TIMESTAMP) AS ds, "
                     "CAST(demand AS DOUBLE) AS yhat FROM fact_demand_truth")

    def run(train: pd.DataFrame, h: int) -> pd.DataFrame:
        last = train["ds"].max()
        ids = np.sort(train["unique_id"].unique())
        index = pd.MultiIndex.from_product([ids, pd.date_range(last, periods=h + 1, freq="D")[1:]],
                                           names=["unique_id", "ds"])
        frame = truth.set_index(["unique_id", "ds"])["yhat"].reindex(index).fillna(0.0).reset_index()
        for name in ("q05", "q50", "q80", "q90", "q95", "q99"):
            frame[name] = frame["yhat"]
        return frame

    return run


def cached(peer, directory: Path | None, name: str, tag: str):
    """The peer's forecasts kept per origin under ``directory`` (a rerun of shopops alone reuses them).

    The seconds of a cached peer are those of the run that computed it (stored beside the forecast).
    """
    if directory is None:
        return peer

    def run(train: pd.DataFrame, h: int) -> pd.DataFrame:
        key = f"{tag}_{name}_{train['ds'].max():%Y%m%d}_{h}_{train['unique_id'].nunique()}".replace(" ", "_")
        path = directory / f"{key.replace('/', '_').replace(',', '')}.parquet"
        if path.exists():
            frame = pd.read_parquet(path)
            CACHED_SECONDS[(name, train["ds"].max())] = float(frame["_seconds"].iat[0])
            return frame.drop(columns="_seconds")
        started = time.perf_counter()
        frame = peer(train, h)
        directory.mkdir(parents=True, exist_ok=True)
        frame.assign(_seconds=time.perf_counter() - started).to_parquet(path)
        return frame

    return run


CACHED_SECONDS: dict[tuple[str, pd.Timestamp], float] = {}


def retail_shop(data_dir: Path | None) -> Shop:
    if data_dir is not None and (data_dir / "warehouse.duckdb").exists():
        return Shop.open(data_dir)
    shop = Shop.open(data_dir or Path(tempfile.mkdtemp(prefix="bench_forecast_")))
    shop.ingest(ONLINE_RETAIL)
    return shop


def simulated_shop(data_dir: Path | None) -> Shop:
    shop = Shop.open(data_dir or Path(tempfile.mkdtemp(prefix="bench_forecast_sim_")))
    if not (shop.data_dir / "warehouse.duckdb").exists():
        shop.simulate(seed=0, lines=None, days=730, products=500, customers=20_000, ingest=True,
                      on_step=lambda _m: None)
    return shop


def truth_scores(shop: Shop, result) -> pd.DataFrame:
    """Forecasts vs the simulator's true demand (sales + lost sales) on stock-out days and all days."""
    truth = shop.sql("SELECT CAST(product_id AS VARCHAR) AS unique_id, CAST(date AS TIMESTAMP) AS ds, "
                     "demand AS truth FROM fact_demand_truth")
    frame = result.forecasts.merge(truth, on=["unique_id", "ds"], how="left")
    frame["truth"] = frame["truth"].fillna(frame["y"])
    censored = frame["truth"] > frame["y"]
    rows = []
    for name, part in (("all days", frame), ("stock-out days", frame[censored])):
        rows.append({"days": name, "cells": len(part),
                     "mean sales": part["y"].mean(), "mean true demand": part["truth"].mean(),
                     "mean forecast": part["yhat"].mean(),
                     "P(true <= q95)": (part["truth"] <= part["q95"] + 1e-9).mean(),
                     "P(sales <= q95)": (part["y"] <= part["q95"] + 1e-9).mean()})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None, help="an ingested data dir to reuse")
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2, help="AutoETS processes (the 2 cores)")
    parser.add_argument("--lgbm-threads", type=int, default=1, help="shopops LightGBM threads")
    parser.add_argument("--simulated", action="store_true")
    parser.add_argument("--no-ets", action="store_true", help="skip AutoETS (quick checks only)")
    parser.add_argument("--theta", action="store_true", help="also run statsforecast AutoTheta as a peer")
    parser.add_argument("--mlforecast", action="store_true", help="also run mlforecast (LightGBM, conformal)")
    parser.add_argument("--step", type=int, default=None, help="days between origins (default: the horizon)")
    parser.add_argument("--until", default=None, help="end the history on this day (tuning on earlier origins)")
    parser.add_argument("--peer-cache", type=Path, default=None,
                        help="keep the peers' forecasts here and reuse them (the seconds of the first run)")
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--shop-inputs", action="store_true",
                        help="give shopops the price and stock-out columns (peers always get unique_id, ds, y)")
    args = parser.parse_args()

    shop = simulated_shop(args.data) if args.simulated else retail_shop(args.data)
    tag = "simulated" if args.simulated else "online_retail"
    if args.shop_inputs:  # what Shop.backtest feeds the model: mean selling price, stock-out flags
        from shopops.forecast._shop import product_history

        df, _ = product_history(shop.reader, "D", args.until)
    else:
        df = demand_history(shop.reader, until=args.until)
    revenue = revenue_history(shop.reader, until=args.until)
    print(f"{tag}: {df['unique_id'].nunique():,} series, {df['ds'].min():%Y-%m-%d} to {df['ds'].max():%Y-%m-%d}, "
          f"horizon {args.horizon}, {args.origins} origins, AutoETS n_jobs {args.n_jobs}, "
          f"shopops LightGBM threads {args.lgbm_threads}")
    peers = {} if args.no_ets else {"statsforecast AutoETS": autoets_peer(args.n_jobs)}
    if args.theta:
        peers["statsforecast AutoTheta"] = autoets_peer(args.n_jobs, "AutoTheta")
    if args.mlforecast:
        peers["mlforecast LightGBM"] = mlforecast_peer(args.n_jobs)
    peers["28-day mean, NB quantiles"] = nb_mean_peer()
    if args.simulated:
        peers["true demand (floor)"] = truth_peer(shop)
    peers = {name: cached(peer, args.peer_cache, name, tag) for name, peer in peers.items()}
    started = time.perf_counter()
    result = backtest(df, horizon=args.horizon, origins=args.origins, step=args.step, revenue=revenue, peers=peers,
                      forecaster={"n_jobs": args.lgbm_threads}, on_step=lambda m: print("  ", m, flush=True))
    print(f"backtest wall time {time.perf_counter() - started:.0f} s; origins "
          + ", ".join(f"{o:%Y-%m-%d}" for o in result.origins))
    for (name, origin), seconds in CACHED_SECONDS.items():  # peers read from the cache: their measured time
        at = (result.by_origin["model"] == name) & (result.by_origin["origin"] == origin)
        result.by_origin.loc[at, "seconds"] = seconds
    for name in {n for n, _ in CACHED_SECONDS}:
        result.summary.loc[result.summary["model"] == name, "seconds"] = \
            result.by_origin.loc[result.by_origin["model"] == name, "seconds"].sum()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    cols = ["model", "wrmsse", "wspl", "mase", "bias", "cover80", "cover95", "top_cover50", "top_cover90",
            "top_bias", "steady_zero_median", "top_steady_zero_median", "seconds"]
    table = result.summary[cols].rename(columns={"model": "model (auto = shopops)"})
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print("\nper origin (models with quantiles):")
    scored = result.by_origin[result.by_origin["wspl"].notna()]
    print(scored[["model", "origin", *cols[1:-1]]].to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    summary = result.summary.set_index("model")
    ours, snaive = summary.loc["auto"], summary.loc["snaive"]
    real_peers = [p for p in peers if "floor" not in p]
    for measure in ("wrmsse", "wspl"):
        best = min(real_peers, key=lambda p: summary.loc[p, measure])
        print(f"{measure.upper()}: shopops {ours[measure]:.3f}, best peer {best} {summary.loc[best, measure]:.3f}: "
              f"shopops / best peer = {ours[measure] / summary.loc[best, measure]:.3f}")
    if args.simulated:
        floor = summary.loc["true demand (floor)"]
        print(f"floor (realised true demand): WRMSSE {floor['wrmsse']:.3f}, WSPL {floor['wspl']:.3f}")
    print("\ncalibration and bias of shopops per revenue decile (10 = most revenue), mean over origins:")
    cal = result.calibration[result.calibration["model"] == "auto"]
    print(cal.groupby(["grouping", "group"], sort=False)[["series", "bias", "P(y<=q50)", "P(y<=q80)", "P(y<=q90)",
                                                          "P(y<=q95)"]].mean().to_string(float_format=lambda x: f"{x:.3f}"))
    print(f"\nshopops WRMSSE {ours['wrmsse']:.3f}; vs seasonal naive {snaive['wrmsse']:.3f}: "
          f"{1 - ours['wrmsse'] / snaive['wrmsse']:.1%} better")
    if "statsforecast AutoETS" in summary.index:
        ets = summary.loc["statsforecast AutoETS"]
        print(f"AutoETS WRMSSE {ets['wrmsse']:.3f}; shopops/AutoETS = {ours['wrmsse'] / ets['wrmsse']:.3f}")
        print(f"wall time: shopops {ours['seconds']:.0f} s, AutoETS {ets['seconds']:.0f} s, "
              f"AutoETS/shopops = {ets['seconds'] / ours['seconds']:.1f}x")
    if "statsforecast AutoTheta" in summary.index:
        theta = summary.loc["statsforecast AutoTheta"]
        print(f"AutoTheta WRMSSE {theta['wrmsse']:.3f}; shopops/AutoTheta = {ours['wrmsse'] / theta['wrmsse']:.3f}; "
              f"wall time AutoTheta {theta['seconds']:.0f} s = {theta['seconds'] / ours['seconds']:.1f}x shopops")
    print(f"coverage of shopops: P(y<=q80) {ours['cover80']:.3f}, P(y<=q95) {ours['cover95']:.3f}, "
          f"P(q05<=y<=q95) {ours['cover_05_95']:.3f}")
    print("\nmodel chosen per demand class and origin:")
    print(result.choices.pivot_table(index="class", columns="origin", values="model", aggfunc="first").to_string())
    print("\nLightGBM feature importance (mean gain share):")
    print(result.importances.groupby("feature")["gain_share"].mean().sort_values(ascending=False).round(3).to_string())
    if args.simulated:
        print("\nagainst the true demand (fact_demand_truth):")
        print(truth_scores(shop, result).to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    IMG.mkdir(parents=True, exist_ok=True)
    result.summary.to_csv(ROOT / "benchmarks" / f"forecast_{tag}.csv", index=False)
    for k, name in enumerate(top_series(result, 2)):
        series_figure(result, name).savefig(IMG / f"forecast_{tag}_series{k + 1}.png", dpi=90, bbox_inches="tight")
    coverage_figure(result).savefig(IMG / f"forecast_{tag}_coverage.png", dpi=90, bbox_inches="tight")
    reliability_figure(result).savefig(IMG / f"forecast_{tag}_reliability.png", dpi=90, bbox_inches="tight")
    result.calibration.to_csv(ROOT / "benchmarks" / f"forecast_{tag}_calibration.csv", index=False)
    report = write_backtest_report(result, args.report or Path(tempfile.gettempdir()) / f"forecast_{tag}.html")
    print(f"report: {report}")
    print(f"mean forecast {np.mean(result.forecasts['yhat']):.3f}, no NaN: {not result.forecasts.isna().any().any()}")


if __name__ == "__main__":
    main()
