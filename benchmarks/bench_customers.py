"""Customers and recommendations: shopops against `lifetimes` (BG/NBD) and the popularity baseline.

1. CDNOW sample (2,357 customers, calibration to 1997-09-30, weeks): BG/NBD parameters against the
   published ones; predicted vs actual repeat purchases in weeks 40-78; tracking plots (sample and master).
2. CDNOW master (23,570 customers): BG/NBD fit time and parameters, shopops vs `lifetimes` 0.11.3, in one run.
3. Online Retail, last 30 days as test: recall@10 etc. of ALS, BPR, item-item against popularity, with and
   without already-bought items; ALS training time on all interactions; churn holdout metrics; segment chart.

Usage: python benchmarks/bench_customers.py [--data DIR] [--repeats 5] [--img docs/img]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from shopops import Shop
from shopops.customers import BetaGeoModel, clv_summary, repeat_tracking
from shopops.customers.plots import plot_segments, plot_tracking
from shopops.recommend import ALSRecommender, fit_recommender, purchase_lines

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _median_times(fns: list, repeats: int) -> list[tuple[float, object]]:
    """Median wall time of each function, the runs interleaved so that load on the shared machine hits both."""
    times: list[list[float]] = [[] for _ in fns]
    results: list[object] = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            started = time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - started)
    return [(statistics.median(t), r) for t, r in zip(times, results, strict=True)]


def cdnow(repeats: int, img: Path) -> dict:
    out: dict = {}
    for name in ("cdnow_sample", "cdnow_master"):
        tx = pd.read_parquet(SHARED / "cdnow" / f"{name}.parquet")
        s = clv_summary(tx, calibration_end="1997-09-30", observation_end="1998-06-30", value_col="dollar_value")
        model = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
        predicted = model.expected_purchases(39, s["frequency"], s["recency"], s["T"]).sum()
        tracking = repeat_tracking(tx, model, start="1997-01-01", end="1998-06-30")
        plot_tracking(tracking, img / f"clv_tracking_{name}.png",
                      f"CDNOW {name.split('_')[1]} ({len(s):,} customers): BG/NBD fitted on weeks 1-39",
                      calibration_periods=39)
        out[name] = {"customers": len(s), "params": model.params_,
                     "holdout_predicted": float(predicted), "holdout_actual": float(s["frequency_holdout"].sum()),
                     "cum_repeat_week78_actual": int(tracking["actual_cum"].iloc[-1]),
                     "cum_repeat_week78_expected": float(tracking["expected_cum"].iloc[-1])}
        if name == "cdnow_sample":
            out[name]["rel_diff_published"] = {k: model.params_[k] / v - 1 for k, v in PUBLISHED.items()}
        else:
            import lifetimes  # the peer (dev extra); it runs unpatched on these numpy/scipy/pandas versions

            (ours_t, ours), (peer_t, peer) = _median_times([
                lambda s=s: BetaGeoModel().fit(s["frequency"], s["recency"], s["T"]),
                lambda s=s: lifetimes.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"]),
            ], repeats)
            theirs = peer.params_.to_dict()
            out[name].update({
                "fit_seconds_shopops": ours_t, "fit_seconds_lifetimes": peer_t, "speedup": peer_t / ours_t,
                "params_lifetimes": theirs,
                "rel_diff_lifetimes": {k: ours.params_[k] / theirs[k] - 1 for k in ("r", "alpha", "a", "b")},
            })
    return out


def online_retail(data: Path | None, img: Path) -> dict:
    work = data or Path(tempfile.mkdtemp(prefix="bench-customers-"))
    shop = Shop.open(work)
    if not shop.warehouse_path.is_file():
        shop.ingest(SHARED / "online_retail" / "online_retail.parquet")
    evaluation = shop.recommend_evaluate(test_days=30, k=10, models=("popularity", "item-item", "als", "bpr"))
    lines = purchase_lines(shop.reader)
    rec = fit_recommender(shop.reader)  # fits on all interactions
    started = time.perf_counter()
    ALSRecommender().fit(rec.data_.matrix)
    als_all = time.perf_counter() - started
    risk = shop.churn(horizon_days=90)
    summary = shop.segment_summary()
    plot_segments(summary, img / "segments_online_retail.png")
    _plot_evaluation(evaluation.frame, img / "recommend_eval_online_retail.png")
    values = shop.clv(horizon_days=365)
    return {
        "evaluation": evaluation.frame.to_dict(orient="records"),
        "evaluation_split": {"cutoff": evaluation.cutoff, "last_day": evaluation.last_day,
                             "train_lines": evaluation.train_lines, "test_lines": evaluation.test_lines,
                             "test_customers_without_history": evaluation.test_customers_without_history},
        "als_fit_all_seconds": als_all, "interactions": int(rec.data_.matrix.nnz),
        "customers": len(rec.data_.customers), "products": len(rec.data_.products), "lines": len(lines),
        "churn": risk.metrics, "churn_importance": risk.importance.to_dict(),
        "segments": summary.to_dict(orient="records"),
        "clv_backtest": values.backtest, "clv_bgnbd": values.bgnbd_params,
        "silhouette": shop.segments().silhouette,
    }


def _plot_evaluation(evaluation: pd.DataFrame, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, protocol in zip(axes, ("all-items", "new-items"), strict=True):
        rows = evaluation[evaluation["protocol"] == protocol]
        ax.bar(rows["model"], rows["recall@10"], color=["#999999", "#4c72b0", "#dd8452", "#55a868"][: len(rows)])
        for x, v in enumerate(rows["recall@10"]):
            ax.text(x, v, f"{v:.3f}", ha="center", va="bottom")
        ax.set_title(f"recall@10, {protocol}")
    fig.suptitle("Online Retail, last 30 days as test")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, help="Reuse this data dir with Online Retail ingested.")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--img", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "img")
    args = parser.parse_args()
    args.img.mkdir(parents=True, exist_ok=True)
    result = {"cdnow": cdnow(args.repeats, args.img), "online_retail": online_retail(args.data, args.img)}
    m = result["cdnow"]["cdnow_master"]
    s = result["cdnow"]["cdnow_sample"]
    print("\n## BG/NBD")
    print("| data | what | shopops | peer | ratio |\n|---|---|---:|---:|---:|")
    for k in ("r", "alpha", "a", "b"):
        print(f"| CDNOW sample | {k} | {s['params'][k]:.4f} | published {PUBLISHED[k]} | "
              f"{s['rel_diff_published'][k]:+.3%} |")
    print(f"| CDNOW master | fit time (median of {args.repeats}) | {m['fit_seconds_shopops']:.3f} s | lifetimes "
          f"{m['fit_seconds_lifetimes']:.3f} s | {m['speedup']:.1f}x faster |")
    for k in ("r", "alpha", "a", "b"):
        print(f"| CDNOW master | {k} | {m['params'][k]:.5f} | lifetimes {m['params_lifetimes'][k]:.5f} | "
              f"{m['rel_diff_lifetimes'][k]:+.4%} |")
    for name, r in result["cdnow"].items():
        print(f"| {name} | holdout repeat purchases, weeks 40-78 | predicted {r['holdout_predicted']:,.0f} | "
              f"actual {r['holdout_actual']:,.0f} | {r['holdout_predicted'] / r['holdout_actual']:.3f} |")
    o = result["online_retail"]
    print("\n## Recommenders, Online Retail, last 30 days as test")
    print("| protocol | model | users | precision@10 | recall@10 | nDCG@10 | MAP@10 | hit rate | coverage | fit s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in o["evaluation"]:
        print(f"| {row['protocol']} | {row['model']} | {row['users']} | {row['precision@10']:.3f} | "
              f"{row['recall@10']:.3f} | {row['ndcg@10']:.3f} | {row['map@10']:.3f} | {row['hit_rate']:.3f} | "
              f"{row['coverage']:.3f} | {row['fit_seconds']:.2f} |")
    ev = pd.DataFrame(o["evaluation"])
    for protocol in ("all-items", "new-items"):
        rows = ev[ev["protocol"] == protocol].set_index("model")["recall@10"]
        best = rows.drop("popularity").idxmax()
        print(f"- {protocol}: best {best} recall@10 {rows[best]:.3f} = {rows[best] / rows['popularity']:.2f}x "
              "popularity")
    print(f"- ALS on all {o['interactions']:,} interactions ({o['customers']:,} customers x {o['products']:,} "
          f"products): {o['als_fit_all_seconds']:.2f} s")
    c = o["churn"]
    print(f"- churn (90 days): holdout AUC {c['auc']:.3f} (recency alone {c['auc_recency_only']:.3f}), "
          f"PR-AUC {c['pr_auc']:.3f} (base rate {c['churn_rate']:.3f}), top-decile lift {c['top_decile_lift']:.2f}")
    b = o["clv_backtest"]
    print(f"- CLV backtest: predicted {b['predicted_repeat_purchases']:,.0f} vs actual "
          f"{b['actual_repeat_purchases']:,.0f} repeat purchases after {b['calibration_end']}")
    (Path(tempfile.gettempdir()) / "bench_customers.json").write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
