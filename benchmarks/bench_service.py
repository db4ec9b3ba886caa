"""Overview API under 100 concurrent clients: shopops (cached per build) vs a naive FastAPI handler.

Both servers run one uvicorn worker on loopback over the same warehouse (the simulated shop, 10M sale
lines by default). The load generator runs in its own process (asyncio + httpx, one connection per
client) and measures p50/p99 latency and requests/s of GET /api/v1/overview. The naive peer is the
same endpoint written the plain way: open DuckDB read-only and run the KPI SQL on every request.

Usage: python benchmarks/bench_service.py [--lines 10000000] [--data DIR] [--clients 100] [--seconds 20]
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

import httpx

OURS = """
import sys, uvicorn
from shopops import Shop
from shopops.api import create_app
uvicorn.run(create_app(Shop.open(sys.argv[1])), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False)
"""

# The naive way: no cache, no shared connection; open the warehouse and run the KPI SQL per request.
NAIVE = """
import sys, duckdb, uvicorn
from fastapi import FastAPI
app = FastAPI()
PATH = sys.argv[1] + "/warehouse.duckdb"
CARDS = ("net_sales", "orders", "aov", "new_customers", "repeat_rate", "cancellation_rate")

@app.get("/api/v1/overview")
def overview(grain: str = "month"):
    con = duckdb.connect(PATH, read_only=True)
    try:
        lo, hi = con.execute("SELECT min(order_date), max(order_date) FROM fact_order").fetchall()[0]
        cur = con.execute("SELECT * EXCLUDE (grain) FROM kpi_period WHERE grain = ? ORDER BY period_start", [grain])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()
    import calendar, datetime
    def end(d):
        return d if grain == "day" else d + datetime.timedelta(days=6) if grain == "week" else \\
            datetime.date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
    full = [i for i, r in enumerate(rows) if end(r["period_start"]) <= hi]
    i = full[-1] if full else len(rows) - 1
    cur_row, prev = rows[i], rows[i - 1] if i > 0 else {}
    cards = [{"key": k, "value": cur_row.get(k), "previous": prev.get(k)} for k in CARDS]
    return {"grain": grain, "period_start": cur_row["period_start"], "data_first": lo, "data_last": hi,
            "cards": cards, "series": rows}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""

# A bare keep-alive HTTP/1.1 client on asyncio streams: httpx would spend more CPU than the servers
# being measured, on the same two cores.
LOAD = """
import asyncio, json, sys, time
from urllib.parse import urlsplit
url, key, clients, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
u = urlsplit(url)
REQUEST = (f"GET {u.path}?{u.query} HTTP/1.1\\r\\nHost: {u.hostname}\\r\\nX-API-Key: {key}\\r\\n\\r\\n").encode()

async def client(stop, out, errors):
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    while time.perf_counter() < stop:
        t = time.perf_counter()
        writer.write(REQUEST)
        head = await reader.readuntil(b"\\r\\n\\r\\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":")[1]) for line in head.split(b"\\r\\n") if line.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        if status == 200:
            out.append(time.perf_counter() - t)
        else:
            errors.append(status)
    writer.close()

async def main():
    out, errors = [], []
    start = time.perf_counter()
    await asyncio.gather(*(client(start + seconds, out, errors) for _ in range(clients)))
    wall = time.perf_counter() - start
    out.sort()
    q = lambda p: out[min(len(out) - 1, int(p * len(out)))] * 1000
    print(json.dumps({"requests": len(out), "errors": len(errors), "rps": len(out) / wall,
                      "p50_ms": q(0.50), "p99_ms": q(0.99), "max_ms": out[-1] * 1000}))

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(data: Path, lines: int) -> None:
    if (data / "warehouse.duckdb").is_file():
        print(f"reusing the warehouse in {data}")
        return
    from shopops import Shop

    started = time.perf_counter()
    print(f"simulating {lines:,} sale lines into {data} (a few minutes for 10M) …", flush=True)
    Shop.open(data).simulate(lines=lines, on_step=lambda m: print("  " + m, flush=True))
    print(f"ready in {time.perf_counter() - started:.0f} s", flush=True)


def start_server(code: str, data: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", code, str(data), str(port)])
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def load(url: str, key: str, clients: int, seconds: float) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", LOAD, url, key, str(clients), str(seconds)], capture_output=True,
                         text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, default=None, help="Data directory to create or reuse.")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="bench-service-"))
    prepare(data, args.lines)

    from shopops.api import KeyStore

    _record, key = KeyStore.for_data_dir(data).create("viewer", "benchmark")
    rows = {}
    answers = {}
    for name, code in (("shopops (cached per build)", OURS), ("naive FastAPI + DuckDB per request", NAIVE)):
        port = free_port()
        proc = start_server(code, data, port)
        try:
            url = f"http://127.0.0.1:{port}/api/v1/overview?grain=month"
            first = time.perf_counter()
            answers[name] = httpx.get(url, headers={"X-API-Key": key}, timeout=120).json()
            cold = (time.perf_counter() - first) * 1000
            rows[name] = {**load(url, key, args.clients, args.seconds), "cold_ms": cold}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ours, naive = answers.values()
    same = all(a["value"] == b["value"] for a, b in zip(ours["cards"], naive["cards"], strict=True))
    print(f"\noverview API, {args.clients} concurrent clients for {args.seconds:g} s on loopback, "
          f"warehouse {(data / 'warehouse.duckdb').stat().st_size / 2**30:.2f} GiB; same KPI values: {same}")
    print(f"{'server':38} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'first ms':>9}")
    for name, r in rows.items():
        print(f"{name:38} {r['requests']:>9,.0f} {r['errors']:>6,.0f} {r['rps']:>8,.0f} {r['p50_ms']:>8,.1f} "
              f"{r['p99_ms']:>8,.1f} {r['cold_ms']:>9,.0f}")
    a, b = rows.values()
    print(f"ratio: {a['rps'] / b['rps']:.1f}x requests/s, p99 {b['p99_ms'] / a['p99_ms']:.1f}x lower")


if __name__ == "__main__":
    main()
