"""Old and new shopops side by side in one run: ingest speed and API read speed, interleaved, best of N.

A refactor must not make shopops slower. This runs two source trees of shopops (``--old SRC`` and
this checkout's ``src``) each in its own process, alternating them round by round so that both see
the same machine load, and prints the best time of each and the ratio new / old:

- **ingest**: Online Retail (541,909 lines) into an empty data directory: validate, lake, warehouse.
- **API reads**: one uvicorn server per version over the same warehouse, the overview and the
  products endpoint under ``--clients`` concurrent clients for ``--seconds`` each (the load
  generator of ``bench_service.py``, in its own process).

Usage: python benchmarks/compare_versions.py --old ../baseline/src [--repeat 3] [--clients 50] [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx

from bench_service import LOAD, OURS, free_port

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
INGEST = """
import sys, time
from shopops import Shop
t = time.perf_counter()
Shop.open(sys.argv[1]).ingest(sys.argv[2])
print(time.perf_counter() - t)
"""
ENDPOINTS = {"overview": "/api/v1/overview?grain=month",
             "products, a date range": "/api/v1/products?start=2011-03-01&end=2011-09-30&limit=50"}


def run(src: Path, code: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip().splitlines()[-1]


def serve(src: Path, data: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.Popen([sys.executable, "-c", OURS, str(data), str(port)], env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return proc, port
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the server of {src} did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", type=Path, required=True, help="src folder of the older shopops")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    versions = {"old": args.old.resolve(), "new": (ROOT / "src").resolve()}
    ingest: dict[str, list[float]] = {v: [] for v in versions}
    with tempfile.TemporaryDirectory(prefix="compare-versions-") as tmp:
        root = Path(tmp)
        for i in range(args.repeat):
            for name, src in (versions.items() if i % 2 == 0 else reversed(versions.items())):
                target = root / f"ingest-{name}"
                shutil.rmtree(target, ignore_errors=True)
                ingest[name].append(float(run(src, INGEST, str(target), str(DATA))))
        print(f"ingest of Online Retail, best of {args.repeat} (runs: "
              + "; ".join(f"{k} " + ", ".join(f"{x:.2f}" for x in v) for k, v in ingest.items()) + ")")
        old, new = min(ingest["old"]), min(ingest["new"])
        print(f"  old {old:.2f} s, new {new:.2f} s: new / old = {new / old:.3f}")

        # Each version reads the warehouse it built itself.
        reads: dict[tuple[str, str], list[dict[str, float]]] = {}
        servers = {name: serve(src, root / f"ingest-{name}") for name, src in versions.items()}
        try:
            from shopops.api import KeyStore

            keys = {name: KeyStore.for_data_dir(root / f"ingest-{name}").create("viewer", "bench")[1]
                    for name in versions}
            for i in range(args.repeat):
                for name in (list(versions) if i % 2 == 0 else list(reversed(versions))):
                    port = servers[name][1]
                    for label, path in ENDPOINTS.items():
                        url = f"http://127.0.0.1:{port}{path}"
                        httpx.get(url, headers={"X-API-Key": keys[name]}, timeout=120).raise_for_status()
                        out = subprocess.run([sys.executable, "-c", LOAD, url, keys[name], str(args.clients),
                                              str(args.seconds)], capture_output=True, text=True, check=True)
                        reads.setdefault((name, label), []).append(json.loads(out.stdout.strip().splitlines()[-1]))
        finally:
            for proc, _port in servers.values():
                proc.terminate()
                proc.wait(timeout=30)
    print(f"API reads, {args.clients} clients, {args.seconds:g} s each, best of {args.repeat} by requests/s")
    for label in ENDPOINTS:
        best = {name: max(reads[(name, label)], key=lambda r: r["rps"]) for name in versions}
        o, n = best["old"], best["new"]
        print(f"  {label:24} old {o['rps']:8,.0f} req/s p99 {o['p99_ms']:7.1f} ms | new {n['rps']:8,.0f} req/s "
              f"p99 {n['p99_ms']:7.1f} ms | new / old requests/s {n['rps'] / o['rps']:.3f}")


if __name__ == "__main__":
    main()
