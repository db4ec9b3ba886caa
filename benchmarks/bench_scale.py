"""Scale-out: ingest + build of a large simulated shop on DuckDB and on a Spark standalone cluster, side by side.

Each phase runs in its own process. While it runs, every process taking part is sampled (psutil, every
0.25 s) and its peak RSS kept by role:

- ``driver``: the shopops process, with its Spark driver JVM (a child of the Python process);
- ``executor``: each Spark executor JVM (children of the workers);
- ``executor-python``: the Python workers an executor starts (the pseudonymising pandas UDF);
- ``master`` / ``worker``: the standalone cluster's daemons.

The Spark driver's peak must not grow with the data (nothing is collected to it); run two sizes and
compare. From the measured throughput per core the script projects the hours for a larger shop on a
larger cluster and names the step that limits it.

Usage::

    python benchmarks/bench_scale.py --lines 10000000 --keep /tmp/scale10m          # DuckDB + 2-worker cluster
    python benchmarks/bench_scale.py --lines 40000000 --keep /tmp/scale40m
    python benchmarks/bench_scale.py --lines 300000 --engines duckdb,spark-local    # a quick look

``--engines`` takes ``duckdb``, ``spark-local`` (``local[2]``: the driver is the executor) and
``spark-cluster`` (a master and two 1-core workers started on loopback from pyspark's own scripts).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the cluster launcher the tests use (tests/spark_cluster.py)

SIMULATE = """
from shopops.simulate import SimulationConfig, simulate_shop
s = simulate_shop(SOURCES, SimulationConfig(seed=7, target_order_lines=LINES))
print(json.dumps({"order_lines": s.rows["order_lines"], "orders": s.rows["orders"]}))
"""

INGEST = """
from shopops import Shop
from shopops.shop import SIMULATED_TABLES
shop = Shop.open(DATA)
lines = 0
for name in SIMULATED_TABLES:
    for part in sorted((SOURCES / name).glob("*.parquet")):
        r = shop.ingest(part, adapter="canonical", table=name, build=False)
        if name == "order_lines":
            lines += r.tables["order_lines"].rows_ok
print(json.dumps({"batches": len(shop.batches()), "order_lines": lines}))
"""

BUILD = """
from shopops import Shop
r = Shop.open(DATA).build()
print(json.dumps({"engine": r.engine, "fact_order_line": r.tables["fact_order_line"]}))
"""


@dataclass
class Peaks:
    """Peak RSS (bytes) per process, grouped by role."""

    by_pid: dict[int, tuple[str, int]] = field(default_factory=dict)
    #: the last cumulative CPU seconds (user + system) seen per process, with its role
    cpu_by_pid: dict[int, tuple[str, float]] = field(default_factory=dict)

    def see(self, pid: int, role: str, rss: int) -> None:
        old = self.by_pid.get(pid)
        if old is None or rss > old[1]:
            self.by_pid[pid] = (role, rss)

    def see_cpu(self, pid: int, role: str, seconds: float) -> None:
        self.cpu_by_pid[pid] = (role, seconds)

    def role_cpu(self) -> dict[str, float]:
        """CPU seconds per role during the phase (the daemons' own counts start before it)."""
        out: dict[str, float] = {}
        for role, seconds in self.cpu_by_pid.values():
            out[role] = out.get(role, 0.0) + seconds
        return out

    def role_peaks(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for role, rss in self.by_pid.values():
            out.setdefault(role, []).append(rss)
        return {role: sorted(v, reverse=True) for role, v in out.items()}


def _role(proc: psutil.Process, root_pid: int) -> str:
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return "other"
    if "CoarseGrainedExecutorBackend" in cmd:
        return "executor"
    if "deploy.master.Master" in cmd:
        return "master"
    if "deploy.worker.Worker" in cmd:
        return "worker"
    if proc.pid == root_pid or _descends(proc, root_pid):
        return "driver"
    try:
        parents = " ".join(" ".join(p.cmdline()) for p in proc.parents())
    except psutil.Error:
        return "other"
    # The Python workers an executor forks for the pseudonymising pandas UDF.
    return "executor-python" if "CoarseGrainedExecutorBackend" in parents else "other"


def _descends(proc: psutil.Process, root_pid: int) -> bool:
    try:
        return any(p.pid == root_pid for p in proc.parents())
    except psutil.Error:
        return False


def _sample(root: psutil.Process, cluster: list[psutil.Process], peaks: Peaks, stop: threading.Event) -> None:
    while not stop.is_set():
        procs = [root, *cluster]
        for base in [root, *cluster]:
            with contextlib.suppress(psutil.Error):
                procs += base.children(recursive=True)
        driver_total = 0
        for proc in procs:
            try:
                with proc.oneshot():
                    rss = proc.memory_info().rss
                    times = proc.cpu_times()
            except psutil.Error:
                continue
            role = _role(proc, root.pid)
            if role not in ("master", "worker"):  # long-lived daemons: their counts predate the phase
                cpu_role = role if role != "driver" else ("driver-jvm" if proc.pid != root.pid else "driver-python")
                peaks.see_cpu(proc.pid, cpu_role, times.user + times.system)
            if role == "driver":
                driver_total += rss
                # Apart as well: the JVM (Spark's driver) and the Python process (the adapter's mapping of
                # a source part runs in its DuckDB, so it scales with the part, not with the lake).
                peaks.see(proc.pid, "driver-jvm" if proc.pid != root.pid else "driver-python", rss)
            else:
                peaks.see(proc.pid, role, rss)
        # The driver is the Python process and its JVM together: one peak of their sum.
        peaks.see(-1, "driver", driver_total)
        stop.wait(0.25)


def run_phase(name: str, code: str, env: dict[str, str], cluster: list[psutil.Process],
              log: Path) -> tuple[float, Peaks, dict]:
    """Run ``code`` in a fresh Python process; return (seconds, peaks, the JSON it printed last).

    The phase's whole stderr goes to ``log`` (the child holds its own descriptor): a failure after an hour of
    Spark must be readable in full.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as err_file:
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=err_file,
                                text=True)
    peaks, stop = Peaks(), threading.Event()
    sampler = threading.Thread(target=_sample, args=(psutil.Process(proc.pid), cluster, peaks, stop), daemon=True)
    started = time.perf_counter()
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed (exit {proc.returncode}), its log is {log}:\n{log.read_text()[-4000:]}")
    return seconds, peaks, json.loads(out.strip().splitlines()[-1])


def _code(body: str, data: Path, sources: Path, lines: int) -> str:
    return (f"import json\nfrom pathlib import Path\nDATA = Path({str(data)!r})\nSOURCES = Path({str(sources)!r})\n"
            f"LINES = {lines}\n{body}")


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000_000, help="target sale lines of the simulated shop")
    parser.add_argument("--engines", default="duckdb,spark-cluster")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (the shop is reused)")
    parser.add_argument("--worker-memory", default="4g", help="memory of each standalone worker")
    parser.add_argument("--executor-memory", default="3g",
                        help="heap of each executor (Spark's default of 1g ran out at 40 M lines)")
    parser.add_argument("--shuffle-partitions", type=int, default=8, help="for the standalone cluster's builds")
    parser.add_argument("--phases", default="ingest,build",
                        help="'build' alone builds the lake an earlier run with --keep ingested")
    parser.add_argument("--project-lines", type=float, default=10e9)
    parser.add_argument("--project-nodes", type=int, default=32)
    parser.add_argument("--project-cores", type=int, default=16, help="cores per node of the projected cluster")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="shopops-scale-"))
    sources = root / "sources"
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    results: dict[str, dict[str, tuple[float, Peaks, dict]]] = {}
    try:
        if not (sources / "order_lines").is_dir():
            seconds, peaks, out = run_phase("simulate", _code(SIMULATE, root, sources, args.lines), base_env, [],
                                             root / "logs" / "simulate.log")
            print(f"simulate {seconds:7.1f} s  peak {_gib(max(peaks.role_peaks()['driver']))} GiB  {out}", flush=True)
        for engine in engines:
            data = root / f"data-{engine}"
            if "ingest" in phases:
                shutil.rmtree(data, ignore_errors=True)
            elif not (data / "lake").is_dir():
                raise SystemExit(f"{data} holds no lake: run the ingest phase first")
            env = dict(base_env)
            cluster: list[psutil.Process] = []
            launcher = None
            cores = 2
            if engine == "duckdb":
                env["SHOPOPS_ENGINE"] = "duckdb"
            elif engine == "spark-local":
                env.update(SHOPOPS_ENGINE="spark", SHOPOPS_SPARK_MASTER="local[2]")
            elif engine == "spark-cluster":
                from tests.spark_cluster import cluster_env, start_cluster

                launcher = start_cluster(root / "spark-cluster", workers=2, memory=args.worker_memory)
                cluster = [psutil.Process(p.pid) for p in launcher.procs]
                env = cluster_env(env)
                # The standard way to size executors from a pyspark driver (spark-submit's own flag).
                env["PYSPARK_SUBMIT_ARGS"] = f"--executor-memory {args.executor_memory} pyspark-shell"
                env["SHOPOPS_SPARK_SHUFFLE_PARTITIONS"] = str(args.shuffle_partitions)
                env.update(SHOPOPS_ENGINE="spark", SHOPOPS_SPARK_MASTER=launcher.url)
            else:
                raise SystemExit(f"unknown engine {engine!r}")
            try:
                results[engine] = {}
                for phase, body in (("ingest", INGEST), ("build", BUILD)):
                    if phase not in phases:
                        continue
                    seconds, peaks, out = run_phase(f"{engine} {phase}", _code(body, data, sources, args.lines),
                                                    env, cluster, root / "logs" / f"{engine}-{phase}.log")
                    results[engine][phase] = (seconds, peaks, out)
                    roles = peaks.role_peaks()
                    mem = "  ".join(f"{role} {'/'.join(_gib(v) for v in vals)}" for role, vals in sorted(roles.items()))
                    cpu = "  ".join(f"{role} {v:.0f}" for role, v in sorted(peaks.role_cpu().items()))
                    print(f"{engine:13s} {phase:6s} {seconds:8.1f} s  peak GiB: {mem}  {out}", flush=True)
                    print(f"{'':13s} {phase:6s} CPU s: {cpu}", flush=True)
                results[engine]["cores"] = (cores, Peaks(), {})
            finally:
                if launcher is not None:
                    launcher.stop()
        _summary(results, args)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _summary(results: dict[str, dict[str, tuple[float, Peaks, dict]]], args: argparse.Namespace) -> None:
    if not results:
        return
    first = next(iter(results.values()))
    lines = first["ingest"][2]["order_lines"] if "ingest" in first else first["build"][2]["fact_order_line"]
    print(f"\norder lines ingested: {lines:,}")
    if "duckdb" in results:
        for engine, phases in results.items():
            if engine == "duckdb":
                continue
            for phase in ("ingest", "build"):
                if phase not in phases or phase not in results["duckdb"]:
                    continue
                ratio = phases[phase][0] / results["duckdb"][phase][0]
                print(f"{phase}: {engine} {phases[phase][0]:.1f} s vs duckdb {results['duckdb'][phase][0]:.1f} s: "
                      f"{ratio:.2f}x the time")
    cores_total = args.project_nodes * args.project_cores
    for engine, phases in results.items():
        if not engine.startswith("spark"):
            continue
        cores = phases["cores"][0]
        hours = {}
        for phase in ("ingest", "build"):
            if phase not in phases:
                continue
            per_core = lines / phases[phase][0] / cores
            hours[phase] = args.project_lines / (per_core * cores_total) / 3600
            print(f"{engine} {phase}: {per_core:,.0f} lines/s per core -> {args.project_lines:.3g} lines on "
                  f"{args.project_nodes} x {args.project_cores} cores: {hours[phase]:.2f} h")
        if not hours:
            continue
        limit = max(hours, key=lambda k: hours[k])
        print(f"{engine}: projected total {sum(hours.values()):.2f} h, limited by {limit} (if every step scaled out)")
        # Not every step does: the driver maps each source part and reads the staged rows back for the
        # report (DuckDB in the driver's Python), and schedules every task (its JVM). That work grows with
        # the data but runs on one node, so it is projected on one node's cores, the rest on the cluster's.
        scale = args.project_lines / lines
        for phase in ("ingest", "build"):
            if phase not in phases:
                continue
            cpu = phases[phase][1].role_cpu()
            cluster_s = (cpu.get("executor", 0.0) + cpu.get("executor-python", 0.0)) * scale / cores_total
            driver_s = (cpu.get("driver-python", 0.0) + cpu.get("driver-jvm", 0.0)) * scale / args.project_cores
            step = "the driver (one node)" if driver_s > cluster_s else "the executors"
            print(f"{engine} {phase}, from CPU seconds: executors {cluster_s / 3600:.2f} h on the cluster, driver "
                  f"{driver_s / 3600:.2f} h on one {args.project_cores}-core node; limited by {step}")


if __name__ == "__main__":
    main()
