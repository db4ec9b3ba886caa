"""A real local S3-compatible server (``localbucket``) on a free loopback port, for the lake on object storage.

localbucket stores buckets as folders and enforces ``If-None-Match: *`` on PUT (with a hard link, so two
writers cannot both win); it does not check credentials.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("localbucket")

SECRET = "s3cr3t-never-in-messages-7f1d"


@dataclass
class S3Server:
    """The running server: its endpoint and the folder that holds its buckets."""

    endpoint: str
    root: Path

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key=SECRET)

    def new_bucket(self) -> str:
        name = f"lake-{uuid.uuid4().hex[:10]}"
        self.client().create_bucket(Bucket=name)
        return name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    root = tmp_path_factory.mktemp("s3")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "localbucket", str(root), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = S3Server(f"http://127.0.0.1:{port}", root)
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield server
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Server:
    """AWS settings of the local server in the environment, and a fresh local folder per test."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("SHOPOPS_LOCAL_DIR", str(tmp_path / "local"))
    return s3_server
