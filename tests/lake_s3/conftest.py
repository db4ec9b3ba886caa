"""Real local S3-compatible servers on free loopback ports, for the lake on object storage (``tests/s3_server.py``).

Most tests use ``localbucket``; those about credentials, policies and ``If-Match`` use ``moto`` in server mode.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.s3_server import Keys, S3Server, localbucket, moto_server

pytest.importorskip("boto3")
pytest.importorskip("localbucket")

SECRET = "s3cr3t-never-in-messages-7f1d"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with localbucket(tmp_path_factory.mktemp("s3"), Keys("test", SECRET)) as server:
        yield server


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[S3Server]:
    """moto's S3 server, checking signatures and policies (users ``writer`` and ``reader``)."""
    with moto_server() as server:
        yield server


def use_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: S3Server, keys: Keys,
               local: str = "local") -> None:
    """Only ``server``'s endpoint and ``keys`` in the AWS environment (no config files), and a local folder."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in keys.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("SHOPOPS_LOCAL_DIR", str(tmp_path / local))


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Server:
    """AWS settings of the local server in the environment, and a fresh local folder per test."""
    use_server(monkeypatch, tmp_path, s3_server, s3_server.keys)
    return s3_server
