"""Marketing: shopops beside scikit-uplift, pymc-marketing and mabwiser on the same data, in one run.

1. Hillstrom uplift (Womens vs No e-mail, target visit; also Mens, conversion, spend): 10 random 50/50
   splits, shopops' interaction model against every scikit-uplift approach (two-model, class
   transformation, solo model; logistic regression and LightGBM), mean Qini AUC and uplift@30 %.
   The published peer (class transformation, XGBoost, CatBoost encoder, ``random_state=42``) runs in
   the peers' venv (``--published-peer``).
2. Budget allocation on the simulated marketing history (tuned on seed 0, scored on seed 1) against
   its known curves: share of the oracle optimum, against the equal split and last quarter's shares, and
   pymc-marketing's MMM + budget optimiser fitted on the same daily data (in the peers' venv).
3. Bandit: cumulative regret over a simulated quarter of wearing-out creatives, Thompson sampling
   against mabwiser's epsilon-greedy, UCB1 and Thompson sampling.
4. CTR: AUC of the click models against the simulator's true-probability ceiling; scoring speed.
5. Speed: the budget optimisation for 20 channels.

Usage: python benchmarks/bench_marketing.py [--part all|uplift|budget|bandit|ctr|speed] [--splits 10]
       [--peers-python /work/venvs/marketing-peers/bin/python] [--img docs/img]
The peers' venv holds pymc-marketing 0.19.2, xgboost 3.2.0 and category_encoders 2.11.2 (pymc-marketing
pins cachetools 6, shopops 8, so they cannot share one environment).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HILLSTROM = SHARED / "hillstrom" / "hillstrom_email.parquet"
PEERS_PYTHON = "/work/venvs/marketing-peers/bin/python"
DAYS = 30


def _hillstrom_design(frame: pd.DataFrame) -> np.ndarray:
    """The encoding scikit-uplift's examples use: numbers as they are, categories one-hot."""
    from shopops.marketing import HILLSTROM_FEATURES

    return pd.get_dummies(frame[HILLSTROM_FEATURES], columns=["zip_code", "channel"], dtype=float).to_numpy()


def uplift_bench(splits: int) -> dict[str, Any]:
    from lightgbm import LGBMClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklift.models import ClassTransformation, SoloModel, TwoModels

    from shopops.marketing import HILLSTROM_FEATURES, UpliftModel, load_hillstrom, prepare_experiment, uplift_scores

    def lr() -> LogisticRegression:
        return LogisticRegression(max_iter=2000)

    def gbm() -> LGBMClassifier:
        return LGBMClassifier(n_estimators=200, learning_rate=0.05, num_leaves=15, verbose=-1, n_jobs=2)

    peers = {"sklift TwoModels LR": lambda: TwoModels(lr(), lr(), method="vanilla"),
             "sklift ClassTransformation LR": lambda: ClassTransformation(lr()),
             "sklift SoloModel LR": lambda: SoloModel(lr()),
             "sklift TwoModels LightGBM": lambda: TwoModels(gbm(), gbm(), method="vanilla"),
             "sklift ClassTransformation LightGBM": lambda: ClassTransformation(gbm()),
             "sklift SoloModel LightGBM": lambda: SoloModel(gbm())}
    contacts = load_hillstrom(HILLSTROM)
    out: dict[str, Any] = {}
    cases = [("womens_email", "visited", splits, list(peers)),
             ("mens_email", "visited", splits, [p for p in peers if "LR" in p]),
             ("womens_email", "converted", splits, [p for p in peers if "LR" in p]),
             ("womens_email", "revenue", splits, [p for p in peers if "LR" in p])]
    for arm, outcome, n_splits, peer_names in cases:
        exp = prepare_experiment(contacts, outcome=outcome, features=HILLSTROM_FEATURES, treatment=arm)
        x = _hillstrom_design(exp.features)
        y, t = exp.outcome, exp.treatment
        binary_y = (y > 0).astype(int)
        scores: dict[str, list[tuple[float, float]]] = {}
        seconds: dict[str, float] = {}
        for seed in range(n_splits):
            train, test = train_test_split(np.arange(len(y)), test_size=0.5, random_state=seed,
                                           stratify=t * 2 + binary_y)
            models = {"shopops interaction": None, **{p: peers[p] for p in peer_names}}
            for name, make in models.items():
                started = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if make is None:
                        u = UpliftModel().fit(exp.features.iloc[train], t[train], y[train]).predict(
                            exp.features.iloc[test])
                    else:
                        u = make().fit(x[train], binary_y[train], t[train]).predict(x[test])
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
                s = uplift_scores(y[test], u, t[test])
                scores.setdefault(name, []).append((s["qini_auc"], s["uplift_at_30"]))
        table = {name: {"qini_auc": float(np.mean([v[0] for v in vals])),
                        "uplift_at_30": float(np.mean([v[1] for v in vals])),
                        "qini_auc_sd": float(np.std([v[0] for v in vals])),
                        "seconds_per_split": seconds[name] / n_splits} for name, vals in scores.items()}
        best_peer = max((n for n in table if n.startswith("sklift")), key=lambda n: table[n]["qini_auc"])
        key = f"{arm}/{outcome}"
        out[key] = {"splits": n_splits, "models": table, "best_peer": best_peer,
                    "qini_ratio_vs_best_peer": table["shopops interaction"]["qini_auc"] / table[best_peer]["qini_auc"],
                    "uplift30_ratio_vs_best_peer":
                        table["shopops interaction"]["uplift_at_30"] / table[best_peer]["uplift_at_30"]}
        print(f"\n[uplift] Hillstrom {key}, {n_splits} random 50/50 splits (mean Qini AUC / uplift@30%):")
        for name, row in sorted(table.items(), key=lambda kv: -kv[1]["qini_auc"]):
            print(f"  {name:38s} {row['qini_auc']:.4f} ± {row['qini_auc_sd']:.4f}   {row['uplift_at_30']:.4f}"
                  f"   ({row['seconds_per_split']:.2f} s/split)")
        print(f"  shopops / best peer ({best_peer}): Qini {out[key]['qini_ratio_vs_best_peer']:.3f}, "
              f"uplift@30 {out[key]['uplift30_ratio_vs_best_peer']:.3f}")
    return out


def published_peer() -> dict[str, Any]:
    """The scikit-uplift notebook's published setup (runs in the peers' venv)."""
    from category_encoders import CatBoostEncoder
    from sklearn.model_selection import train_test_split
    from sklift.metrics import qini_auc_score, uplift_at_k
    from sklift.models import ClassTransformation
    from xgboost import XGBClassifier

    df = pd.read_parquet(HILLSTROM)
    df = df[df["segment"] != "Mens E-Mail"].reset_index(drop=True)
    treatment = (df["segment"] == "Womens E-Mail").astype(int)
    y = df["visit"]
    x = df.drop(columns=["segment", "visit", "conversion", "spend"])
    strat = treatment.astype(str) + "_" + y.astype(str)
    x_tr, x_val, t_tr, t_val, y_tr, y_val = train_test_split(x, treatment, y, test_size=0.5, random_state=42,
                                                             stratify=strat)
    cats = ["history_segment", "zip_code", "channel"]
    enc = CatBoostEncoder(cols=cats).fit(x_tr, y_tr)
    model = ClassTransformation(XGBClassifier(max_depth=2, random_state=42))
    model.fit(enc.transform(x_tr), y_tr, t_tr)
    u = model.predict(enc.transform(x_val))
    return {"uplift_at_30": float(uplift_at_k(y_val, u, t_val, strategy="overall", k=0.3)),
            "qini_auc": float(qini_auc_score(y_val, u, t_val)), "published_uplift_at_30": 0.0661}


def _true_curves(sim: Any) -> dict[str, Any]:
    from shopops.marketing import ChannelCurve

    return {c.channel: ChannelCurve(c.channel, True, decay=c.decay, beta=c.beta, half=c.half, shape=c.shape,
                                    current_daily_spend=c.current_daily_spend) for c in sim.channels}


def _score(truth: dict[str, Any], spend: dict[str, float]) -> float:
    from shopops.marketing import expected_outcome

    names = list(truth)
    return expected_outcome([truth[n] for n in names], np.array([spend[n] for n in names]), DAYS)[0]


def budget_bench(peers_python: str | None, img: Path | None) -> dict[str, Any]:
    from shopops.marketing import allocate_budget, fit_response_curves
    from shopops.simulate import simulate_marketing

    def run(seed: int, cap: float | None) -> dict[str, float]:
        sim = simulate_marketing(seed, days=365, n_channels=8, impressions=1000, contacts=1000)
        daily = sim.daily_channels()
        curves = fit_response_curves(daily)
        truth = _true_curves(sim)
        recent = daily[daily["date"] > daily["date"].max() - pd.Timedelta(days=90)]
        quarter = recent.groupby("channel")["spend"].sum()
        total = float(quarter.sum() / 90 * DAYS)
        alloc = allocate_budget(curves, total, days=DAYS, max_extrapolation=cap).spend
        oracle = allocate_budget(truth, total, days=DAYS, max_extrapolation=None).spend
        equal = {n: total / len(truth) for n in truth}
        shares = {n: total * float(quarter.get(n, 0.0)) / float(quarter.sum()) for n in truth}
        return {"total": total, "shopops": _score(truth, alloc), "oracle": _score(truth, oracle),
                "equal_split": _score(truth, equal), "last_quarter_shares": _score(truth, shares),
                "daily": daily, "alloc": alloc, "oracle_alloc": oracle, "shares_alloc": shares}

    caps: list[float | None] = [1.5, 2.0, 3.0, None]
    tuned = {}
    for c in caps:
        tuning = run(0, c)
        tuned[str(c)] = tuning["shopops"] / tuning["oracle"]
    best_cap = caps[int(np.argmax(list(tuned.values())))]
    print(f"\n[budget] tuned on seed 0: share of the oracle per extrapolation cap {tuned} -> cap {best_cap}")
    scored = run(1, best_cap)
    res: dict[str, Any] = {"tuning": tuned, "cap": best_cap, "total": scored["total"], "days": DAYS,
                           **{k: scored[k] for k in ("shopops", "oracle", "equal_split", "last_quarter_shares")}}
    if peers_python:
        peer = _pymc_peer(peers_python, scored["daily"], scored["total"])
        if "spend" in peer:
            truth_seed1 = _true_curves(simulate_marketing(1, days=365, n_channels=8, impressions=1000, contacts=1000))
            res["pymc_marketing"] = _score(truth_seed1, peer["spend"])
            res["pymc_marketing_seconds"] = peer["seconds"]
            res["pymc_marketing_alloc"] = peer["spend"]
        else:
            res["pymc_marketing_error"] = peer.get("error")
    print(f"[budget] scored on seed 1, {DAYS} days, total {scored['total']:,.0f}: expected incremental conversions")
    for key in ("oracle", "shopops", "pymc_marketing", "equal_split", "last_quarter_shares"):
        if key in res:
            print(f"  {key:22s} {res[key]:10.1f}   {res[key] / res['oracle']:.3f} of the oracle")
    print(f"  shopops / equal split {res['shopops'] / res['equal_split']:.3f}, / last quarter's shares "
          f"{res['shopops'] / res['last_quarter_shares']:.3f}"
          + (f", / pymc-marketing {res['shopops'] / res['pymc_marketing']:.3f}" if "pymc_marketing" in res else ""))
    if img is not None:
        _plot_allocation(scored, res, img / "marketing_budget.png")
    return res


def _plot_allocation(scored: dict[str, Any], res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(scored["oracle_alloc"])
    series = {"last quarter's shares": scored["shares_alloc"], "shopops": scored["alloc"],
              "oracle (true curves)": scored["oracle_alloc"]}
    if "pymc_marketing_alloc" in res:
        series["pymc-marketing"] = res["pymc_marketing_alloc"]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(series)
    for k, (label, alloc) in enumerate(series.items()):
        ax.bar(np.arange(len(names)) + k * width, [alloc[n] for n in names], width, label=label)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=30)
    ax.set_ylabel(f"spend over {DAYS} days")
    ax.set_title("Budget allocation on the simulated history (seed 1)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pymc_peer(python: str, daily: pd.DataFrame, total: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "daily.parquet", Path(tmp) / "out.json"
        daily.to_parquet(src)
        proc = subprocess.run([python, __file__, "--pymc-peer", str(src), str(dst), str(total)], capture_output=True,
                              text=True, timeout=3600)
        if proc.returncode != 0:
            return {"error": proc.stderr[-2000:]}
        result: dict[str, Any] = json.loads(dst.read_text())
        return result


def pymc_peer(src: Path, dst: Path, total: float) -> None:
    """Fit pymc-marketing's MMM on total daily conversions and optimise the budget (runs in the peers' venv)."""
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    daily = pd.read_parquet(src)
    wide = daily.pivot_table(index="date", columns="channel", values="spend", aggfunc="sum").fillna(0.0)
    y = daily.groupby("date")["conversions"].sum().loc[wide.index]
    channels = list(wide.columns)
    x = wide.reset_index()
    started = time.perf_counter()
    mmm = MMM(date_column="date", channel_columns=channels, adstock=GeometricAdstock(l_max=10),
              saturation=LogisticSaturation())
    mmm.fit(x, y.to_numpy(), chains=2, cores=1, draws=400, tune=400, target_accept=0.9, random_seed=0,
            progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        allocation, _ = mmm.optimize_budget(budget=total / DAYS, num_periods=DAYS)
    values = np.asarray(allocation.values, dtype=float).ravel()
    spend = dict(zip([str(c) for c in allocation.coords["channel"].values], values, strict=True))
    scale = total / sum(spend.values())  # the optimiser answers per period; scored as the same total
    dst.write_text(json.dumps({"spend": {k: v * scale for k, v in spend.items()},
                               "seconds": time.perf_counter() - started}))


def bandit_bench(seed: int = 0) -> dict[str, Any]:
    from mabwiser.mab import MAB, LearningPolicy

    from shopops.marketing import ThompsonAllocator

    rng = np.random.default_rng(seed)
    n_arms, days, per_day = 6, 90, 2000
    base = rng.uniform(0.01, 0.04, n_arms)
    launch = np.sort(rng.integers(0, 60, n_arms))
    launch[:2] = 0
    wear = rng.uniform(0.005, 0.03, n_arms)
    arms = [f"creative_{k + 1}" for k in range(n_arms)]

    def rates(day: int) -> np.ndarray:
        age = day - launch
        return np.where(age >= 0, base * np.exp(-wear * np.maximum(age, 0)), 0.0)

    def available(day: int) -> np.ndarray:
        return launch <= day

    def simulate(choose: Any, learn: Any, name: str) -> float:
        sim_rng = np.random.default_rng(seed + 1)
        regret = 0.0
        for day in range(days):
            r = rates(day)
            shown = choose(day, per_day)
            shown = np.where(available(day), shown, 0)
            if shown.sum() < per_day:  # impressions meant for a creative not launched yet go to the live ones
                live = np.flatnonzero(available(day))
                shown[live] += np.bincount(sim_rng.integers(0, live.size, per_day - int(shown.sum())),
                                           minlength=live.size)
            conv = sim_rng.binomial(shown, r)
            regret += per_day * r[available(day)].max() - float((shown * r).sum())
            learn(day, shown, conv)
        return regret

    out: dict[str, float] = {}
    ts = ThompsonAllocator(arms, seed=seed, discount=0.95, min_impressions=2000)

    def ts_choose(day: int, n: int) -> np.ndarray:
        ts.stopped_ &= available(day)  # a creative launched today starts unstopped
        share = ts.p_best() * available(day)
        if share.sum() == 0:
            share = available(day).astype(float)
        return np.asarray(np.random.default_rng(day).multinomial(n, share / share.sum()))

    out["shopops Thompson (discounted, stopping)"] = simulate(ts_choose, lambda d, s, c: ts.update(s, c), "ts")
    policies = {"mabwiser epsilon-greedy (0.1)": LearningPolicy.EpsilonGreedy(epsilon=0.1),
                "mabwiser UCB1 (alpha 1)": LearningPolicy.UCB1(alpha=1.0),
                "mabwiser Thompson sampling": LearningPolicy.ThompsonSampling()}
    for name, policy in policies.items():
        mab = MAB(arms=arms, learning_policy=policy, seed=seed)
        mab.fit([a for a in arms], [0] * n_arms)
        state = {"mab": mab}

        def choose(day: int, n: int, state: dict[str, Any] = state) -> np.ndarray:
            picks = state["mab"].predict(np.zeros((n, 1)))
            idx = np.array([arms.index(p) for p in picks])
            return np.bincount(idx, minlength=n_arms)

        def learn(day: int, shown: np.ndarray, conv: np.ndarray, state: dict[str, Any] = state) -> None:
            decisions, rewards = [], []
            for k in range(n_arms):
                decisions += [arms[k]] * int(shown[k])
                rewards += [1] * int(conv[k]) + [0] * int(shown[k] - conv[k])
            if decisions:
                state["mab"].partial_fit(decisions, rewards)

        out[name] = simulate(choose, learn, name)
    ours = out["shopops Thompson (discounted, stopping)"]
    print(f"\n[bandit] cumulative regret (conversions) over a {days}-day quarter, {n_arms} wearing-out creatives, "
          f"{per_day:,} impressions a day, daily batches:")
    for name, value in sorted(out.items(), key=lambda kv: kv[1]):
        print(f"  {name:42s} {value:8.1f}   shopops / it {ours / value:.3f}")
    return out


def ctr_bench(rows: int = 500_000) -> dict[str, Any]:
    from shopops.marketing import CtrModel, evaluate_ctr
    from shopops.simulate import simulate_marketing

    sim = simulate_marketing(7, days=365, n_channels=6, impressions=rows, contacts=1000)
    out: dict[str, Any] = {"rows": rows}
    for target, truth_column in (("clicked", "click_probability"), ("converted", "conversion_probability")):
        truth = sim.impression_truth[truth_column].to_numpy()
        result = evaluate_ctr(sim.impressions, target=target, true_probability=truth)
        table = result.comparison.set_index("model")[["auc", "log_loss", "ece", "base_log_loss"]].to_dict("index")
        ceiling = result.metrics["ceiling_auc"]
        out[target] = {"ceiling_auc": ceiling, "models": table}
        print(f"\n[ctr] {rows:,} simulated impressions, target {target}, latest 20 % held out; true-probability "
              f"AUC ceiling {ceiling:.4f}")
        for name, m in table.items():
            print(f"  {name:16s} AUC {m['auc']:.4f} (ceiling - AUC {ceiling - m['auc']:.4f}), log loss "
                  f"{m['log_loss']:.4f} vs base rate {m['base_log_loss']:.4f}, ECE {m['ece']:.4f}")
    log = sim.impressions.sort_values("ts").reset_index(drop=True)
    model = CtrModel(kind="hashed_logistic").fit(log.iloc[:100_000], log["clicked"].to_numpy()[:100_000])
    model.predict_proba(log.iloc[:1000])
    best = np.inf
    for _ in range(3):
        started = time.perf_counter()
        model.predict_proba(log)
        best = min(best, time.perf_counter() - started)
    out["hashed_rows_per_second"] = rows / best
    print(f"  hashed logistic scoring: {out['hashed_rows_per_second']:,.0f} rows/s (best of 3, {rows:,} rows)")
    return out


def speed_bench() -> dict[str, Any]:
    from shopops.marketing import allocate_budget, fit_response_curves
    from shopops.simulate import simulate_marketing

    sim = simulate_marketing(2, days=365, n_channels=20, impressions=1000, contacts=1000)
    started = time.perf_counter()
    curves = fit_response_curves(sim.daily_channels())
    fit_seconds = time.perf_counter() - started
    total = sum(c.current_daily_spend for c in curves.values()) * DAYS
    times = []
    for _ in range(5):
        started = time.perf_counter()
        allocate_budget(curves, total, days=DAYS)
        times.append(time.perf_counter() - started)
    out = {"channels": 20, "optimise_seconds_median": float(np.median(times)), "fit_seconds": fit_seconds}
    print(f"\n[speed] budget optimisation for 20 channels: median {out['optimise_seconds_median']:.3f} s of 5 "
          f"(curve fitting once: {fit_seconds:.1f} s)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="all", choices=["all", "uplift", "budget", "bandit", "ctr", "speed"])
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--peers-python", default=PEERS_PYTHON)
    parser.add_argument("--img", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "img")
    parser.add_argument("--json", type=Path, default=None, help="Also write the results to this JSON file.")
    parser.add_argument("--pymc-peer", nargs=3, metavar=("IN", "OUT", "TOTAL"), help=argparse.SUPPRESS)
    parser.add_argument("--published-peer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pymc_peer:
        pymc_peer(Path(args.pymc_peer[0]), Path(args.pymc_peer[1]), float(args.pymc_peer[2]))
        return
    if args.published_peer:
        print(json.dumps(published_peer()))
        return
    peers = args.peers_python if Path(args.peers_python).exists() else None
    results: dict[str, Any] = {}
    if args.part in ("all", "uplift"):
        results["uplift"] = uplift_bench(args.splits)
        if peers:
            proc = subprocess.run([peers, __file__, "--published-peer"], capture_output=True, text=True, timeout=1800)
            if proc.returncode == 0:
                results["published_peer"] = json.loads(proc.stdout.strip().splitlines()[-1])
                print(f"[uplift] published peer (ClassTransformation XGBoost + CatBoostEncoder, random_state=42): "
                      f"uplift@30% {results['published_peer']['uplift_at_30']:.4f} (published 0.0661)")
            else:
                print("[uplift] published peer failed:", proc.stderr[-1000:])
    if args.part in ("all", "budget"):
        results["budget"] = budget_bench(peers, args.img)
    if args.part in ("all", "bandit"):
        results["bandit"] = bandit_bench()
    if args.part in ("all", "ctr"):
        results["ctr"] = ctr_bench()
    if args.part in ("all", "speed"):
        results["speed"] = speed_bench()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    if not peers:
        print(f"note: the peers' venv ({args.peers_python}) is missing: pymc-marketing and the published "
              "XGBoost setup were not run", file=sys.stderr)


if __name__ == "__main__":
    main()
