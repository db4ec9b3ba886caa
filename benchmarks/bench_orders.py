"""Orders: triage policies, late-delivery scores, rule-engine vs the vectorised rules, batch and API speed.

One run, on a simulated shop whose seed (default 11) was never used while building or tuning (3 and 7 were):

1. Triage on the held-out months against the simulator's truth: shopops (default rules on the calibrated
   scores) beside peer 1, the best rule-only policy (hold when the order value passes a threshold, or a
   lower one for new customers; both tuned on the training months for >= 85 % automation), and peer 2,
   a LightGBM classifier without rules (hold the riskiest orders, threshold set on the calibration months
   for 85 % automation).
2. Late delivery and delivery date on the held-out months: AUC, share of late orders flagged two days
   before the promise, precision and flag rate; p50 error in days and 80 % interval coverage.
3. One order through rule-engine vs the same rules compiled to NumPy, per order; decisions compared.
4. Triage of 1M orders in batch, scores included.
5. ``POST /orders/triage`` through uvicorn on loopback with 20 concurrent clients (load generator on the
   same machine): requests/s and p99.
6. Calibration of the simulator beside real data: Olist (freight, payment mix, instalments) and Online
   Retail (hour-of-day profile of orders).

Timings share two cores with other work: shopops and peers run in the same process, interleaved.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from shopops import Shop
from shopops.orders import load_rules, load_scorer, order_features, score_and_decide

HOLD_SHARE_MAX = 0.15  # >= 85 % of orders decided without a person


def _months(frame: pd.DataFrame, scorer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return scorer.time_split(frame)  # the same time split the scores were trained on


def triage_policies(frame: pd.DataFrame, scorer, rules) -> list[dict]:
    train, cal, hold = _months(frame, scorer)
    bad = frame.bad.to_numpy()
    rows = []

    def score(name: str, held: np.ndarray, params: str) -> None:
        h = held[hold]
        approved = ~h
        rows.append({"policy": name, "params": params, "automation": float(approved.mean()),
                     "bad_share_of_auto_approved": float(bad[hold][approved].mean()),
                     "bad_caught_share": float(bad[hold][h].sum() / max(bad[hold].sum(), 1)),
                     "held": int(h.sum()), "orders": int(hold.sum())})

    decided = score_and_decide(frame, rules, scorer, reasons=False)
    score("shopops: default rules on scores", (decided.action != "approve").to_numpy(), "default_rules.toml")

    value, new = frame.order_value.to_numpy(), (frame.new_customer | frame.guest).to_numpy()
    best = None
    for v in np.quantile(value[train], np.linspace(0.80, 0.999, 40)):
        for w in np.quantile(value[train], np.linspace(0.3, 0.999, 40)):
            held = (value >= v) | (new & (value >= w))
            if held[train].mean() > HOLD_SHARE_MAX:
                continue
            miss = bad[train][~held[train]].mean()
            if best is None or miss < best[0]:
                best = (miss, v, w)
    assert best is not None
    _, v, w = best
    score("peer 1: best rule-only (value, new customer)", (value >= v) | (new & (value >= w)),
          f"hold if value >= {v:.0f} or new and value >= {w:.0f}")

    risk = scorer.predict(frame, reasons=False).risk.to_numpy()
    threshold = float(np.quantile(risk[cal], 1 - HOLD_SHARE_MAX))
    score("peer 2: LightGBM classifier, no rules", risk >= threshold, f"hold if risk >= {threshold:.3f}")
    return rows


def late_ceiling(frame: pd.DataFrame, scorer) -> dict:
    """AUC of a late-delivery model that knows each order's true dispatch moment (no model can know more
    before delivery but the carrier's transit): the ceiling the simulator's transit noise leaves."""
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score

    train, _, hold = scorer.time_split(frame)
    shipped, promised = pd.to_datetime(frame.shipped_at), pd.to_datetime(frame.promised_at)
    x = pd.DataFrame({"ship_to_promise_days": (promised - shipped).dt.total_seconds() / 86400,
                      "ship_weekday": shipped.dt.weekday.astype(float), "peak": frame.peak,
                      "day_of_year": frame.day_of_year, "route_transit_days": frame.route_transit_days,
                      "address_fail": (frame.address_check == "fail").astype(float),
                      "carrier": frame.carrier.astype("category"), "ship_city": frame.ship_city.astype("category")})
    known = frame.late.notna().to_numpy()
    y = frame.late.fillna(False).astype(int).to_numpy()
    model = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, verbose=-1, n_jobs=1, random_state=0)
    model.fit(x[train & known], y[train & known])
    return {"late_auc_knowing_dispatch": float(roc_auc_score(y[hold & known],
                                                             model.predict_proba(x[hold & known])[:, 1]))}


def rule_speed(frame: pd.DataFrame, scorer, rules, n: int) -> dict:
    sample = frame.sample(min(n, len(frame)), random_state=0).reset_index(drop=True)
    scored = pd.concat([sample, scorer.predict(sample, reasons=False)], axis=1)
    records = scored.to_dict("records")
    t = time.perf_counter()
    single = pd.DataFrame([rules.decide(r) for r in records])
    one_by_one = time.perf_counter() - t
    t = time.perf_counter()
    batch = rules.decide_frame(scored)
    vector = time.perf_counter() - t
    same = bool((single.reset_index(drop=True) == batch.reset_index(drop=True)).all().all())
    clauses = sum(len(r.when.split(" and ")) for r in rules.rules)
    return {"orders": len(sample), "rules": len(rules.rules), "clauses": clauses,
            "rule_engine_us_per_order": one_by_one / len(sample) * 1e6,
            "vectorised_us_per_order": vector / len(sample) * 1e6, "identical": same}


def batch_million(frame: pd.DataFrame, scorer, rules, n: int) -> dict:
    reps = int(np.ceil(n / len(frame)))
    big = pd.concat([frame] * reps, ignore_index=True).iloc[:n]
    big["order_id"] = np.arange(n).astype(str)
    t, cpu = time.perf_counter(), time.process_time()
    out = score_and_decide(big, rules, scorer, reasons=False)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    held = big[(out.action != "approve").to_numpy()].head(2_000)
    t = time.perf_counter()
    scorer.predict(held, reasons=True)
    shap_ms = (time.perf_counter() - t) / max(len(held), 1) * 1000
    return {"orders": n, "seconds_scores_and_decisions": seconds, "cpu_seconds": cpu, "orders_per_second": n / seconds,
            "held": int((out.action != "approve").sum()), "shap_reasons_ms_per_held_order": shap_ms}


LOAD = """
import asyncio, json, sys, time
host, port, key, clients, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])

def request(i):
    body = json.dumps({"order_id": f"L{i}", "customer_id": "CU%08d" % (1 + i % 5000), "order_value": 20 + i % 300,
                       "units": 1 + i % 5, "lines": 1 + i % 3, "ship_country": "United Kingdom",
                       "payment_type": "card"}).encode()
    return (f"POST /api/v1/orders/triage HTTP/1.1\\r\\nHost: {host}\\r\\nX-API-Key: {key}\\r\\n"
            f"Content-Type: application/json\\r\\nContent-Length: {len(body)}\\r\\n\\r\\n").encode() + body

async def client(c, stop, out, errors):
    reader, writer = await asyncio.open_connection(host, port)
    i = c * 10_000_000
    while time.perf_counter() < stop:
        i += 1
        t = time.perf_counter()
        writer.write(request(i))
        head = await reader.readuntil(b"\\r\\n\\r\\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(l.split(b":")[1]) for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        (out if status == 200 else errors).append(time.perf_counter() - t if status == 200 else status)
    writer.close()

async def main():
    out, errors = [], []
    start = time.perf_counter()
    await asyncio.gather(*(client(c, start + seconds, out, errors) for c in range(clients)))
    wall = time.perf_counter() - start
    out.sort()
    q = lambda p: out[min(len(out) - 1, int(p * len(out)))] * 1000
    print(json.dumps({"requests": len(out), "errors": len(errors), "rps": len(out) / wall, "p50_ms": q(0.5),
                      "p99_ms": q(0.99)}))

asyncio.run(main())
"""
SERVER = """
import sys, uvicorn
from shopops import Shop
from shopops.api import create_app
uvicorn.run(create_app(Shop.open(sys.argv[1])), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False)
"""


def api_load(data: Path, clients: int, seconds: float) -> dict:
    from shopops.api import KeyStore

    key = KeyStore.for_data_dir(data).create("operator", "bench orders")[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(data), str(port)])
    try:
        import httpx

        deadline = time.time() + 90
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
                break
            except httpx.HTTPError:
                if time.time() > deadline:
                    raise SystemExit("server did not start") from None
                time.sleep(0.3)
        # one warm-up request loads the scorer and rules into the server's cache
        httpx.post(f"http://127.0.0.1:{port}/api/v1/orders/triage", headers={"X-API-Key": key}, timeout=120,
                   json={"order_id": "WARM", "order_value": 10, "units": 1, "ship_country": "United Kingdom"})
        out = subprocess.run([sys.executable, "-c", LOAD, "127.0.0.1", str(port), key, str(clients), str(seconds)],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(30)


def calibration(shop: Shop, shared: Path) -> pd.DataFrame:
    con = duckdb.connect()
    olist = shared / "olist"
    rows = []
    sim = shop.sql("SELECT payment_type, count(*) AS n FROM fact_fulfilment GROUP BY 1 ORDER BY 2 DESC")
    sim_mix = ", ".join(f"{p} {n / sim.n.sum():.2f}" for p, n in zip(sim.payment_type, sim.n, strict=True))
    if (olist / "olist_order_payments_dataset.parquet").is_file():
        pay = con.sql(f"SELECT payment_type, count(DISTINCT order_id) AS n FROM "
                      f"'{olist}/olist_order_payments_dataset.parquet' GROUP BY 1").df()
        pay = pay.sort_values("n", ascending=False)
        real_mix = ", ".join(f"{p} {n / pay.n.sum():.2f}" for p, n in zip(pay.payment_type, pay.n, strict=True))
        rows.append({"what": "payment mix", "real": f"Olist: {real_mix}", "simulated": sim_mix})
        freight = con.sql(f"SELECT median(f / p) AS r, avg((f = 0)::INT) AS z FROM (SELECT order_id, "
                          f"sum(freight_value) AS f, sum(price) AS p FROM "
                          f"'{olist}/olist_order_items_dataset.parquet' GROUP BY 1)").df().iloc[0]
        sim_f = shop.sql("SELECT median(freight / nullif(o.gross_sales, 0)) AS r, avg((freight = 0)::INT) AS z "
                         "FROM fact_fulfilment JOIN fact_order o USING (order_id)").iloc[0]
        rows.append({"what": "freight / goods value (median); free-shipping share",
                     "real": f"{freight.r:.3f}; {freight.z:.3f} (Olist)", "simulated": f"{sim_f.r:.3f}; {sim_f.z:.3f}"})
        inst = con.sql(f"SELECT avg(i) AS i, avg((i > 1)::INT) AS s FROM (SELECT order_id, max(payment_installments) "
                       f"AS i FROM '{olist}/olist_order_payments_dataset.parquet' GROUP BY 1)").df().iloc[0]
        rows.append({"what": "instalments > 1 share", "real": f"{inst.s:.3f} (Olist)",
                     "simulated": "0.000 (UK shop: not simulated)"})
    retail = shared / "online_retail" / "online_retail.parquet"
    if retail.is_file():
        cols = con.sql(f"DESCRIBE SELECT * FROM '{retail}'").df().column_name.tolist()
        inv = next(c for c in cols if c.lower().startswith("invoice") and "date" not in c.lower())
        date_col = next(c for c in cols if "date" in c.lower())
        real_h = con.sql(f"SELECT hour(CAST({date_col} AS TIMESTAMP)) AS h, count(DISTINCT {inv}) AS n "
                         f"FROM '{retail}' GROUP BY 1").df().set_index("h").n
        sim_h = shop.sql("SELECT hour(ordered_at) AS h, count(*) AS n FROM fact_fulfilment GROUP BY 1").set_index("h").n
        for lo, hi in ((6, 10), (10, 14), (14, 18), (18, 24), (0, 6)):
            r = real_h[(real_h.index >= lo) & (real_h.index < hi)].sum() / real_h.sum()
            s = sim_h[(sim_h.index >= lo) & (sim_h.index < hi)].sum() / sim_h.sum()
            rows.append({"what": f"orders {lo:02d}-{hi:02d}h", "real": f"{r:.3f} (Online Retail)",
                         "simulated": f"{s:.3f}"})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--data", type=Path, default=None, help="Data directory to create or reuse.")
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
    parser.add_argument("--batch", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--no-api", action="store_true")
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="bench-orders-"))
    shop = Shop.open(data)
    if not (data / "warehouse.duckdb").is_file():
        t = time.perf_counter()
        shop.simulate(seed=args.seed)
        print(f"simulated seed {args.seed} into {data} in {time.perf_counter() - t:.0f} s", flush=True)
    t = time.perf_counter()
    trained = shop.orders_train()
    print(f"trained in {time.perf_counter() - t:.0f} s", flush=True)
    scorer, rules = load_scorer(data), load_rules()
    frame = order_features(shop.reader)

    print("\n## 1. Triage on the held-out months (truth from the simulator)")
    print(pd.DataFrame(triage_policies(frame, scorer, rules)).to_string(index=False))
    print("\n## 2. Late delivery and delivery date, held-out months")
    m = trained.metrics
    for k in ("holdout_from", "holdout_orders", "late_risk_auc", "late_risk_open_auc", "late_risk_base_rate",
              "late_flag_risk", "late_flagged_2d_ahead_share", "late_flag_precision", "late_flag_rate",
              "late_flagged_2d_ahead_share_at_0.5", "late_flag_precision_at_0.5", "late_flag_rate_at_0.5",
              "risk_auc", "risk_pr_auc", "delivery_p50_abs_error_days", "delivery_interval_80_coverage",
              "hold_risk", "calibration_automation", "calibration_bad_share_of_auto_approved", "risk_trees",
              "late_risk_trees", "late_risk_open_trees", "delivery_trees"):
        print(f"{k:40s} {m.get(k)}")
    for k, v in late_ceiling(frame, scorer).items():
        print(f"{k:40s} {v}")
    print("\n## 3. One order: rule-engine vs the rules compiled to NumPy (same orders, same process)")
    speed = rule_speed(frame, scorer, rules, 20_000)
    print(json.dumps(speed, indent=1))
    print(f"ratio rule-engine / vectorised: {speed['rule_engine_us_per_order'] / speed['vectorised_us_per_order']:.0f}x")
    print(f"\n## 4. Batch triage of {args.batch:,} orders, scores included")
    print(json.dumps(batch_million(frame, scorer, rules, args.batch), indent=1))
    if not args.no_api:
        print(f"\n## 5. POST /orders/triage, {args.clients} concurrent clients, {args.seconds:.0f} s")
        print(json.dumps(api_load(data, args.clients, args.seconds), indent=1))
    print("\n## 6. Calibration of the simulator against real data")
    print(calibration(shop, args.shared.resolve()).to_string(index=False))


if __name__ == "__main__":
    main()
