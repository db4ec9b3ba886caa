"""A Spark standalone cluster on this machine: one master and two workers on loopback ports.

Started from pyspark's own ``spark-class`` (no download), one core and a little memory per worker,
so tests can run work on real executors in other JVMs instead of local mode.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.ports import free_port


def spark_home() -> Path:
    """The Spark distribution pyspark ships (holds ``bin/spark-class`` and the jars)."""
    import pyspark

    return Path(pyspark.__file__).parent


def cluster_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the cluster's JVMs and for a driver talking to it: everything on loopback."""
    env = dict(os.environ if base is None else base)
    env["SPARK_HOME"] = str(spark_home())
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    env["SPARK_LOCAL_HOSTNAME"] = "127.0.0.1"
    env.pop("SPARK_REMOTE", None)
    return env


@dataclass
class SparkCluster:
    """A running standalone master with its workers; :meth:`stop` ends every process it started."""

    root: Path
    master_port: int
    ui_port: int
    worker_ui_ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The master URL to give ``SHOPOPS_SPARK_MASTER``."""
        return f"spark://127.0.0.1:{self.master_port}"

    def master_state(self) -> dict[str, Any]:
        """The master web UI's JSON (workers, active and completed applications)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as resp:
            data: dict[str, Any] = json.load(resp)
        return data

    def worker_state(self, i: int) -> dict[str, Any]:
        """Worker ``i``'s web UI JSON (its running and finished executors)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.worker_ui_ports[i]}/json/", timeout=5) as resp:
            data: dict[str, Any] = json.load(resp)
        return data

    def work_dir(self, i: int) -> Path:
        """Where worker ``i`` keeps its executors' folders (``app-*/<executor id>/stderr``)."""
        return self.root / f"worker{i}" / "work"

    def _spawn(self, name: str, args: list[str]) -> None:
        log = (self.root / f"{name}.log").open("wb")
        cmd = [str(spark_home() / "bin" / "spark-class"), *args]
        self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=cluster_env(),
                                           start_new_session=True))

    def start(self, workers: int = 2, timeout: float = 180.0, memory: str = "1536m") -> SparkCluster:
        """Start the master and ``workers`` one-core workers of ``memory`` each; return once all are ALIVE."""
        self._spawn("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                               "--port", str(self.master_port), "--webui-port", str(self.ui_port)])
        for i in range(workers):
            port = free_port()
            self.worker_ui_ports.append(port)
            work = self.work_dir(i)
            work.mkdir(parents=True)
            self._spawn(f"worker{i}", ["org.apache.spark.deploy.worker.Worker", self.url, "--host", "127.0.0.1",
                                       "--cores", "1", "--memory", memory, "--webui-port", str(port),
                                       "--work-dir", str(work)])
        deadline = time.monotonic() + timeout
        while True:
            try:
                alive = [w for w in self.master_state().get("workers", []) if w.get("state") == "ALIVE"]
                if len(alive) >= workers:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                logs = {p.name: p.read_text(errors="replace")[-2000:] for p in self.root.glob("*.log")}
                self.stop()
                raise RuntimeError(f"the Spark cluster in {self.root} did not start: {logs}")
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop the workers, then the master (each process group this cluster started, nothing else)."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()


def start_cluster(root: Path, workers: int = 2, memory: str = "1536m") -> SparkCluster:
    """A standalone cluster with ``workers`` one-core workers, logs and work folders under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    return SparkCluster(root, free_port(), free_port()).start(workers, memory=memory)
