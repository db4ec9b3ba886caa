"""Read endpoints under concurrent clients: shopops vs the same queries on DuckDB with a warm connection pool.

Both servers run one uvicorn worker on loopback over the same warehouse. The load generator runs in a
process of its own (wrk when installed, with a Lua script; else an asyncio client on raw sockets) and
keeps ``--clients`` connections busy for ``--seconds`` per scenario. Date ranges are drawn at random
for every request (seeded), so answers cannot come from a cache of repeated keys; the ``…-fixed``
scenarios repeat one URL, as a dashboard's default page does.

shopops serves ranges from running totals held in memory per build (``agg_sales_cum``), finished
pages from a per-build cache, KPI periods read once per build, and queries on a pool of warm cursors.
The peer is what a careful engineer writes without them: FastAPI with a pool of warm DuckDB cursors
running the fact-table queries shopops used before (no auth, no cache, rows straight to JSON). The
two answer the same questions; a sample of answers is compared value by value.

Usage:
    python benchmarks/bench_service.py --online-retail ../shared/data/online_retail/online_retail.parquet
    python benchmarks/bench_service.py --lines 10000000 --data /tmp/sim10m
    options: --clients 50 --seconds 10 --only products,mixed --load wrk|python --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx

# shopops as `shopops serve` runs it (uvicorn picks httptools and uvloop, which shopops installs).
OURS = """
import sys
from shopops import Shop
from shopops.api import ServiceSettings, serve
serve(Shop.open(sys.argv[1]), ServiceSettings(host="127.0.0.1", port=int(sys.argv[2])))
"""

# The peer: the fact-table queries, a pool of warm cursors on one read-only connection, rows to JSON.
PEER = r'''
import calendar, datetime, json, queue, sys
import duckdb, uvicorn
from fastapi import FastAPI, Query
from fastapi.responses import Response

con = duckdb.connect()
con.execute(f"ATTACH '{sys.argv[1]}/warehouse.duckdb' AS wh (READ_ONLY)")
POOL = queue.Queue()
for _ in range(16):
    cur = con.cursor()
    cur.execute("USE wh")
    POOL.put(cur)
app = FastAPI()
SALES = ("CAST(sum(f.sold_units) AS BIGINT) AS units, coalesce(sum(f.gross_sales), 0) AS gross_sales, "
         "coalesce(sum(f.net_sales), 0) AS net_sales, count(DISTINCT CASE WHEN f.is_sale THEN f.order_id END) AS orders")
WINDOW = "f.is_product AND (?::DATE IS NULL OR f.order_date >= ?) AND (?::DATE IS NULL OR f.order_date <= ?)"


def rows(sql, params=()):
    cur = POOL.get()
    try:
        result = cur.execute(sql, list(params))
        names = [d[0] for d in result.description]
        return [dict(zip(names, r)) for r in result.fetchall()]
    finally:
        POOL.put(cur)


def answer(value):
    return Response(json.dumps(value, default=str, separators=(",", ":")), media_type="application/json")


def page(select, params, order, limit, offset):
    found = rows(f"SELECT *, count(*) OVER () AS _total FROM ({select}) ORDER BY {order} LIMIT ? OFFSET ?",
                 [*params, limit, offset])
    total = found[0].pop("_total") if found else rows(f"SELECT count(*) AS n FROM ({select})", params)[0]["n"]
    for r in found[1:]:
        r.pop("_total")
    return answer({"items": found, "total": total, "limit": limit, "offset": offset})


@app.get("/api/v1/products")
def products(start: datetime.date | None = None, end: datetime.date | None = None, sort: str = "net_sales",
             order: str = "desc", limit: int = 100, offset: int = 0):
    select = (f"SELECT f.product_id, any_value(p.name) AS name, any_value(f.category) AS category, {SALES} "
              "FROM fact_order_line f LEFT JOIN dim_product p ON p.product_id = f.product_id "
              f"WHERE {WINDOW} GROUP BY f.product_id")
    return page(select, [start, start, end, end], f"{sort} {order}, product_id", limit, offset)


@app.get("/api/v1/categories")
def categories(start: datetime.date | None = None, end: datetime.date | None = None, limit: int = 100,
               offset: int = 0):
    select = f"SELECT f.category, {SALES} FROM fact_order_line f WHERE {WINDOW} GROUP BY f.category"
    return page(select, [start, start, end, end], "net_sales DESC, category", limit, offset)


@app.get("/api/v1/products/{product_id}")
def product(product_id: str, grain: str = "week", start: datetime.date | None = None,
            end: datetime.date | None = None):
    info = rows("SELECT product_id, name, category, unit_price, unit_cost, is_product FROM dim_product "
                "WHERE product_id = ?", [product_id])
    series = rows(f"SELECT CAST(date_trunc(?, f.order_date) AS DATE) AS period_start, "
                  "CAST(sum(f.sold_units) AS BIGINT) AS units, coalesce(sum(f.net_sales), 0) AS net_sales "
                  f"FROM fact_order_line f WHERE f.product_id = ? AND {WINDOW} GROUP BY 1 ORDER BY 1",
                  [grain, product_id, start, start, end, end])
    return answer({**info[0], "grain": grain, "series": series})


@app.get("/api/v1/kpis")
def kpis(grain: str = "month", start: datetime.date | None = None, end: datetime.date | None = None,
         limit: int = 1000, offset: int = 0):
    select = ("SELECT * EXCLUDE (grain) FROM kpi_period WHERE grain = ? AND (?::DATE IS NULL OR period_start >= ?) "
              "AND (?::DATE IS NULL OR period_start <= ?)")
    return page(select, [grain, start, start, end, end], "period_start", limit, offset)


@app.get("/api/v1/overview")
def overview(grain: str = "month", start: datetime.date | None = None, end: datetime.date | None = None):
    span = rows("SELECT min(order_date) AS lo, max(order_date) AS hi FROM fact_order")[0]
    lo, hi = span["lo"], span["hi"]
    found = rows("SELECT * EXCLUDE (grain) FROM kpi_period WHERE grain = ? AND (?::DATE IS NULL OR period_start >= ?) "
                 "AND (?::DATE IS NULL OR period_start <= ?) ORDER BY period_start", [grain, start, start, end, end])
    last = min(hi, end) if end else hi
    def period_end(d):
        return d if grain == "day" else d + datetime.timedelta(days=6) if grain == "week" else \
            datetime.date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
    full = [i for i, r in enumerate(found) if period_end(r["period_start"]) <= last]
    i = full[-1] if full else len(found) - 1
    cur, prev = (found[i] if found else {}), (found[i - 1] if found and i > 0 else {})
    cards = [{"key": k, "value": cur.get(k), "previous": prev.get(k)}
             for k in ("net_sales", "orders", "aov", "new_customers", "repeat_rate", "cancellation_rate")]
    return answer({"grain": grain, "data_first": lo, "data_last": hi, "cards": cards, "series": found})


@app.get("/api/v1/customers")
def customers(start: datetime.date | None = None, end: datetime.date | None = None, limit: int = 100,
              offset: int = 0):
    select = ("SELECT customer_id, country, city, channel, acquired_at, first_sale_at, last_sale_at, orders, units, "
              "sales_amount FROM dim_customer WHERE (?::DATE IS NULL OR last_sale_at >= ?) "
              "AND (?::DATE IS NULL OR first_sale_at < ?::DATE + 1)")
    return page(select, [start, start, end, end], "sales_amount DESC NULLS LAST, customer_id", limit, offset)


@app.get("/api/v1/quality")
def quality(limit: int = 100, offset: int = 0):
    select = ("SELECT batch_id, seq, committed_at, adapter, source, table_name, rows_in, rows_ok, rows_quarantined "
              "FROM ingest_report")
    return page(select, [], "seq DESC, table_name", limit, offset)


@app.get("/api/v1/inventory/stock")
def stock(limit: int = 100, offset: int = 0):
    select = ("SELECT s.product_id, p.name, p.category, s.date, s.location, s.on_hand, s.stock_value "
              "FROM fact_inventory s LEFT JOIN dim_product p ON p.product_id = s.product_id "
              "WHERE s.date = (SELECT max(date) FROM fact_inventory)")
    return page(select, [], "on_hand ASC, product_id", limit, offset)


@app.get("/docs")
def docs():
    return {}


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
'''

#: Scenario -> URL templates; {S} {E} a random range, {P} a product, {C} a customer, {O} an order, {T} an
#: open ticket. The peer serves the ones whose path it implements.
SCENARIOS: dict[str, list[str]] = {
    "overview-fixed": ["/api/v1/overview?grain=month"],
    "overview-range": ["/api/v1/overview?grain=week&start={S}&end={E}"],
    "kpis-week-fixed": ["/api/v1/kpis?grain=week"],
    "kpis-range": ["/api/v1/kpis?grain=day&start={S}&end={E}"],
    "products-range": ["/api/v1/products?start={S}&end={E}"],
    "products-sorted": ["/api/v1/products?start={S}&end={E}&sort=units&order=asc&offset=100"],
    "categories-range": ["/api/v1/categories?start={S}&end={E}"],
    "product-detail": ["/api/v1/products/{P}?grain=week&start={S}&end={E}"],
    "customers-range": ["/api/v1/customers?start={S}&end={E}"],
    "customer-detail": ["/api/v1/customers/{C}"],
    "segments": ["/api/v1/customers/segments?limit=100"],
    "segment-summary": ["/api/v1/customers/segments/summary"],
    "stock": ["/api/v1/inventory/stock"],
    "quality": ["/api/v1/quality?limit=100"],
    "quarantine": ["/api/v1/quality/quarantine?limit=100"],
    "ingest-runs": ["/api/v1/ingest/runs"],
    "health": ["/api/v1/health"],
    "me": ["/api/v1/me"],
    "mixed": ["/api/v1/overview?grain=month", "/api/v1/kpis?grain=week", "/api/v1/products?start={S}&end={E}"],
    # The capabilities' read endpoints (models computed once per build, then pages of their answers).
    # A shop without the data one needs (Online Retail has no order lifecycle or ads) answers 4xx: skipped.
    "capabilities": ["/api/v1/capabilities"],
    "forecast": ["/api/v1/forecast"],
    "forecast-accuracy": ["/api/v1/forecast/accuracy?product={P}"],
    "inventory-plan": ["/api/v1/inventory/plan"],
    "purchase-orders": ["/api/v1/inventory/purchase-orders"],
    "inventory-alerts": ["/api/v1/inventory/alerts"],
    "recommendations": ["/api/v1/customers/{C}/recommendations"],
    "orders-range": ["/api/v1/orders?start={S}&end={E}"],
    "order-detail": ["/api/v1/orders/{O}"],
    "order-queue": ["/api/v1/orders/queue"],
    "orders-late": ["/api/v1/orders/late"],
    "orders-kpis": ["/api/v1/orders/kpis"],
    "orders-staffing": ["/api/v1/orders/staffing"],
    "marketing-budget": ["/api/v1/marketing/budget"],
    "marketing-uplift": ["/api/v1/marketing/uplift"],
    "marketing-ctr": ["/api/v1/marketing/ctr"],
    "marketing-bandit": ["/api/v1/marketing/bandit"],
    "marketing-decisions": ["/api/v1/marketing/decisions"],
    "monitor-snapshot": ["/api/v1/monitor/snapshot"],
    "monitor-alerts": ["/api/v1/monitor/alerts"],
    "monitor-status": ["/api/v1/monitor/status"],
    "support-tickets": ["/api/v1/support/tickets"],
    "support-suggestions": ["/api/v1/support/suggestions"],
    "support-ticket": ["/api/v1/support/tickets/{T}"],
    "keys": ["/api/v1/keys"],
    "audit": ["/api/v1/audit?limit=100"],
}
#: The open tickets of the benchmark's shop (seeded when it has none), for {T}.
TICKETS: list[str] = []
#: The warehouse reads every shop has: these must answer.
CORE = frozenset(list(SCENARIOS)[:list(SCENARIOS).index("mixed") + 1])
PEER_PATHS = ("/api/v1/overview", "/api/v1/kpis", "/api/v1/products", "/api/v1/categories", "/api/v1/customers?",
              "/api/v1/quality?", "/api/v1/inventory/stock")

LUA = """
local templates = {%(templates)s}
local products = {%(products)s}
local customers = {%(customers)s}
local orders = {%(orders)s}
local tickets = {%(tickets)s}
local first, days, key, seed = %(first)d, %(days)d, "%(key)s", %(seed)d
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(seed + 7919 * id)
end
local function day(n) return os.date("!%%Y-%%m-%%d", (first + n) * 86400) end
function request()
  local a = math.random(0, days - 1)
  local b = math.random(a, days - 1)
  local path = templates[math.random(#templates)]
  path = path:gsub("{S}", day(a)):gsub("{E}", day(b))
  path = path:gsub("{P}", products[math.random(#products)]):gsub("{C}", customers[math.random(#customers)])
  path = path:gsub("{O}", orders[math.random(#orders)]):gsub("{T}", tickets[math.random(#tickets)])
  return wrk.format("GET", path, {["X-API-Key"] = key})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %%d, "errors": %%d, "non_2xx": %%d, "seconds": %%f, "p50_ms": %%f, '
    .. '"p99_ms": %%f, "max_ms": %%f}\\n', summary.requests, e.connect + e.read + e.write + e.timeout, e.status,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""

# Fallback load generator: keep-alive HTTP/1.1 on asyncio streams (httpx would spend more CPU than the
# servers being measured, on the same cores).
PYLOAD = r"""
import asyncio, json, random, sys, time
from datetime import date, timedelta
port, key, clients, seconds, spec = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), json.loads(sys.argv[5])
warmup = float(sys.argv[6])
first = date(1970, 1, 1) + timedelta(days=spec["first"])

def path(rng):
    a = rng.randrange(spec["days"]); b = rng.randrange(a, spec["days"])
    return (rng.choice(spec["templates"]).replace("{S}", str(first + timedelta(days=a)))
            .replace("{E}", str(first + timedelta(days=b))).replace("{P}", rng.choice(spec["products"]))
            .replace("{C}", rng.choice(spec["customers"])).replace("{O}", rng.choice(spec["orders"]))
            .replace("{T}", rng.choice(spec["tickets"])))

async def client(n, begin, stop, out, errors):
    rng = random.Random(spec["seed"] + 7919 * n)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while time.perf_counter() < stop:
        t = time.perf_counter()
        writer.write(f"GET {path(rng)} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        if t >= begin:  # requests started in the warm-up (connections opening) are not counted
            (out if status < 300 else errors).append(time.perf_counter() - t)
    writer.close()

async def main():
    out, errors = [], []
    begin = time.perf_counter() + warmup
    await asyncio.gather(*(client(n, begin, begin + seconds, out, errors) for n in range(clients)))
    wall = time.perf_counter() - begin
    out.sort()
    q = lambda p: out[min(len(out) - 1, int(p * len(out)))] * 1000 if out else float("nan")
    print(json.dumps({"requests": len(out) + len(errors), "errors": 0, "non_2xx": len(errors), "seconds": wall,
                      "p50_ms": q(0.50), "p99_ms": q(0.99), "max_ms": q(1.0)}))

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(data: Path, lines: int, online_retail: Path | None) -> None:
    """Reuse the warehouse in ``data``, or ingest Online Retail / simulate a shop into it."""
    from shopops import Shop

    if (data / "warehouse.duckdb").is_file():
        import duckdb as _duckdb

        from shopops.warehouse._models import models_fingerprint
        from shopops.warehouse._reader import read_meta

        with _duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
            built = read_meta(con).get("models")
        if built == models_fingerprint():
            print(f"reusing the warehouse in {data}")
            return
        # A warehouse built by other SQL models lacks tables the server reads: every answer would be an error.
        print(f"rebuilding the warehouse in {data}: it was built by other SQL models …", flush=True)
        Shop.open(data).build()
        return
    started = time.perf_counter()
    shop = Shop.open(data)
    if online_retail is not None:
        print(f"ingesting {online_retail} into {data} …", flush=True)
        shop.ingest(online_retail)
    else:
        print(f"simulating {lines:,} sale lines into {data} (a few minutes for 10M) …", flush=True)
        shop.simulate(lines=lines, on_step=lambda m: print("  " + m, flush=True))
    print(f"ready in {time.perf_counter() - started:.0f} s", flush=True)


def seed_tickets(data: Path, n: int = 300) -> list[str]:
    """The open tickets of ``data``; a shop without any gets ``n`` hand-off conversations (said so).

    The hand-off queue and a ticket's page are read all day by agents; measured on an empty queue they
    would say nothing. The conversations go through the support store's own write path.
    """
    import random as _random

    from shopops import Shop

    store = Shop.open(data).support_store()
    found = store.tickets("open", 5000)
    if len(found) < n:
        rng = _random.Random(5)
        print(f"seeding {n - len(found)} hand-off conversations into {data}'s support store …", flush=True)
        for k in range(n - len(found)):
            turns = [("customer", "Where is my order? It is two weeks late."), ("bot", "Let me check that.")]
            for _ in range(rng.randrange(1, 4)):
                store.record_turn(f"bench-{k:05d}", channel="chat", language=rng.choice(["en", "zh"]), state={},
                                  status="handoff", customer={"role": turns[0][0], "text": turns[0][1]},
                                  bot={"role": turns[1][0], "text": turns[1][1], "action": "handoff"},
                                  ticket={"priority": rng.choice(["high", "normal"]), "reason": "customer asked"})
        found = store.tickets("open", 5000)
    return [str(t) for t in found.ticket_id]


def start_server(code: str, data: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", code, str(data), str(port)])
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start")


def spec_of(data: Path, templates: list[str], seed: int) -> dict[str, Any]:
    """What the load generator draws from: the day span, some products and customers."""
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        first, last = con.execute("SELECT min(order_date), max(order_date) FROM fact_order").fetchone() or (None, None)
        products = [r[0] for r in con.execute(
            "SELECT product_id FROM kpi_product_month GROUP BY 1 ORDER BY sum(net_sales) DESC LIMIT 200").fetchall()]
        customers = [r[0] for r in con.execute(
            "SELECT customer_id FROM dim_customer ORDER BY sales_amount DESC NULLS LAST LIMIT 500").fetchall()]
        orders = [r[0] for r in con.execute(  # a repeatable sample of every order (url-safe ids)
            "SELECT order_id FROM fact_order WHERE regexp_full_match(order_id, '[A-Za-z0-9_-]+') "
            "USING SAMPLE reservoir(500 ROWS) REPEATABLE (7)").fetchall()]
    finally:
        con.close()
    if first is None:
        raise SystemExit(f"the warehouse in {data} has no orders")
    return {"templates": templates, "products": [p for p in products if p.isalnum()] or products,
            "customers": customers or ["none"], "orders": sorted(orders) or ["none"], "tickets": TICKETS or ["none"],
            "first": (first - date(1970, 1, 1)).days,
            "days": (last - first).days + 1, "seed": seed}


def load(port: int, key: str, clients: int, seconds: float, spec: dict[str, Any], tool: str,
         warmup: float = 0.0) -> dict[str, float]:
    """Run the load generator in its own process against ``port``; its summary."""
    if tool == "wrk":
        def lua_list(values: list[str]) -> str:
            return ", ".join(json.dumps(v) for v in values)

        script = LUA % {"templates": lua_list(spec["templates"]), "products": lua_list(spec["products"]),
                        "customers": lua_list(spec["customers"]), "orders": lua_list(spec["orders"]),
                        "tickets": lua_list(spec["tickets"]), "first": spec["first"], "days": spec["days"],
                        "key": key, "seed": spec["seed"]}
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(script)
        threads = min(2, clients)
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "30s", "-s",
                              f.name, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)
        Path(f.name).unlink()
    else:
        out = subprocess.run([sys.executable, "-c", PYLOAD, str(port), key, str(clients), str(seconds),
                              json.dumps(spec), str(warmup)], capture_output=True, text=True, check=True)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    result: dict[str, float] = json.loads(line)
    result["rps"] = result["requests"] / result["seconds"]
    return result


def drain(port: int) -> None:
    """Wait until the server has finished the requests the last load left queued.

    A sync handler goes on after its client hung up: a slow server would still be working through
    them when the next scenario starts. ``/docs`` is a sync handler too, so it is answered only once the
    thread pool is free.
    """
    httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1800)


def _close(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON answers differ (floats to 1e-9 relative, 1e-6 absolute)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in a.keys() & b.keys() for d in _close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _close(x, y, f"{path}[{i}]")]
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6) else [f"{path}: {a} vs {b}"]
    # Times: ISO 8601 with a T (shopops) or a space (the peer's str()).
    return [] if a == b or str(a).replace("T", " ") == str(b).replace("T", " ") else [f"{path}: {a!r} vs {b!r}"]


def compare(ports: dict[str, int], key: str, spec: dict[str, Any], n: int = 40) -> list[str]:
    """Ask both servers the same random questions; the differences found (none expected)."""
    rng = random.Random(spec["seed"])
    first = date(1970, 1, 1) + timedelta(days=spec["first"])
    problems = []
    templates = ["/api/v1/products?start={S}&end={E}", "/api/v1/categories?start={S}&end={E}",
                 "/api/v1/products/{P}?grain=week&start={S}&end={E}", "/api/v1/products/{P}?grain=month",
                 "/api/v1/kpis?grain=week&start={S}&end={E}", "/api/v1/customers?start={S}&end={E}"]
    for i in range(n):
        a = rng.randrange(spec["days"])
        b = rng.randrange(a, spec["days"])
        url = (templates[i % len(templates)].replace("{S}", str(first + timedelta(days=a)))
               .replace("{E}", str(first + timedelta(days=b))).replace("{P}", rng.choice(spec["products"])))
        answers = [httpx.get(f"http://127.0.0.1:{p}{url}", headers={"X-API-Key": key}, timeout=120)
                   for p in ports.values()]
        bad = [f"{name} {r.status_code}" for name, r in zip(ports, answers, strict=True) if r.status_code != 200]
        if bad:
            problems.append(f"{url}: {', '.join(bad)}")
            continue
        ours, peer = (r.json() for r in answers)
        if isinstance(ours, dict) and isinstance(peer, dict) and ours.keys() != peer.keys():
            problems.append(f"{url}: keys {sorted(ours)} vs {sorted(peer)}")
        problems += [f"{url}: {d}" for d in _close(ours, peer)[:3]]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--online-retail", type=Path, default=None, help="Ingest this Online Retail file instead.")
    parser.add_argument("--data", type=Path, default=None, help="Data directory to create or reuse.")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", default="", help="Comma-separated scenarios (default: all).")
    parser.add_argument("--load", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--warmup", type=float, default=0.0,
                        help="python load only: seconds of load before requests are counted (connections open).")
    parser.add_argument("--no-peer", action="store_true", help="Measure shopops only.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compare", type=int, default=40, help="Random questions compared with the peer.")
    parser.add_argument("--json", type=Path, default=None, help="Write the results here too.")
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="bench-service-"))
    prepare(data, args.lines, args.online_retail)
    TICKETS[:] = seed_tickets(data)

    from shopops.api import KeyStore

    _record, key = KeyStore.for_data_dir(data).create("admin", "benchmark")  # every read endpoint
    names = [n for n in args.only.split(",") if n] or list(SCENARIOS)
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    servers = {"shopops": OURS} if args.no_peer else {"shopops": OURS, "peer": PEER}
    ports = {name: free_port() for name in servers}
    procs = {name: start_server(code, data, ports[name]) for name, code in servers.items()}
    results: dict[str, dict[str, dict[str, float]]] = {}
    try:
        # The first request of an endpoint loads what it keeps per build (running totals, plans):
        # warm both servers once, so the runs measure the steady state a dashboard user sees.
        skipped: dict[str, str] = {}
        for name in names:
            spec = spec_of(data, SCENARIOS[name], args.seed)
            for server, port in ports.items():
                if server == "peer" and not any(t.startswith(PEER_PATHS) for t in SCENARIOS[name]):
                    continue
                url = SCENARIOS[name][0].replace("{S}", "2011-01-01").replace("{E}", "2011-12-31")
                url = url.replace("{P}", spec["products"][0]).replace("{C}", spec["customers"][0])
                url = url.replace("{O}", spec["orders"][0]).replace("{T}", spec["tickets"][0])
                answer = httpx.get(f"http://127.0.0.1:{port}{url}", headers={"X-API-Key": key}, timeout=600)
                if answer.status_code in (400, 404, 422) and server == "shopops" and name not in CORE:
                    skipped[name] = f"{answer.status_code}: {answer.json().get('error', '')[:120]}"
                    break
                if answer.status_code != 200:
                    raise SystemExit(f"{server} answered {url} with {answer.status_code}: {answer.text[:300]}")
        names = [n for n in names if n not in skipped]
        for name, why in skipped.items():
            print(f"  {name:18} skipped: this shop has no data for it ({why})", flush=True)
        problems = [] if args.no_peer else compare(ports, key, spec_of(data, [], args.seed), args.compare)
        for name in names:
            spec = spec_of(data, SCENARIOS[name], args.seed)
            for server, port in ports.items():
                if server == "peer" and not all(t.startswith(PEER_PATHS) for t in SCENARIOS[name]):
                    continue
                r = load(port, key, args.clients, args.seconds, spec, args.load, args.warmup)
                drain(port)
                results.setdefault(name, {})[server] = r
                print(f"  {name:18} {server:8} {r['rps']:>8,.0f} req/s  p50 {r['p50_ms']:>8,.1f} ms  "
                      f"p99 {r['p99_ms']:>8,.1f} ms  errors {r['errors'] + r['non_2xx']:,.0f}", flush=True)
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=30)

    size = (data / "warehouse.duckdb").stat().st_size / 2**30
    print(f"\n{args.clients} clients for {args.seconds:g} s per scenario ({args.load}), warehouse {data} "
          f"({size:.2f} GiB); answers compared with the peer: {'all equal' if not problems else problems[:5]}")
    print(f"{'scenario':18} {'shopops req/s':>13} {'p99 ms':>8} {'peer req/s':>11} {'p99 ms':>8} {'ratio':>7}")
    for name, by in results.items():
        ours, peer = by["shopops"], by.get("peer")
        ratio = f"{ours['rps'] / peer['rps']:>6.1f}x" if peer and peer["rps"] > 0 else f"{'—':>7}"
        tail = f"{peer['rps']:>11,.0f} {peer['p99_ms']:>8,.1f} {ratio}" if peer else f"{'—':>11} {'—':>8} {'—':>7}"
        print(f"{name:18} {ours['rps']:>13,.0f} {ours['p99_ms']:>8,.1f} {tail}")
    if args.json:
        args.json.write_text(json.dumps({"clients": args.clients, "seconds": args.seconds, "load": args.load,
                                         "data": str(data), "problems": problems, "results": results}, indent=2))
    failed = [f"{name} {server}" for name, by in results.items() for server, r in by.items()
              if r["errors"] + r["non_2xx"]]
    # A scenario where shopops finished no request in the run measured nothing: that is a failure too.
    failed += [f"{name} shopops (no request finished)" for name, by in results.items() if by["shopops"]["rps"] == 0]
    if problems or failed:
        raise SystemExit(f"not a valid measurement: errors in {failed or 'none'}, differences {problems[:5]}")


if __name__ == "__main__":
    main()
