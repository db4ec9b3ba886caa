"""Real S3-compatible servers on loopback, for the tests and benchmarks of the lake on object storage.

- ``localbucket`` stores buckets as folders on disk and enforces ``If-None-Match: *`` on PUT (with a
  hard link, so two writers cannot both win). It checks no credentials and ignores ``If-Match``.
- ``moto`` in server mode, with IAM authentication on, checks every request's signature against the
  users it holds and their policies, and honours ``If-Match`` on PUT and DELETE: the server for wrong
  secrets, read-only keys and conditional lease takeover.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.ports import free_port, wait_for_port

REGION = "us-east-1"


@dataclass(frozen=True)
class Keys:
    """One access key pair."""

    access_key_id: str
    secret_access_key: str

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}


@dataclass
class S3Server:
    """A running server: its endpoint, the keys it accepts and (localbucket) the folder of its buckets."""

    endpoint: str
    keys: Keys
    root: Path | None = None
    users: dict[str, Keys] = field(default_factory=dict)

    def client(self, keys: Keys | None = None) -> Any:
        import boto3

        k = keys or self.keys
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=k.access_key_id, aws_secret_access_key=k.secret_access_key)

    def new_bucket(self) -> str:
        name = f"lake-{uuid.uuid4().hex[:10]}"
        self.client().create_bucket(Bucket=name)
        return name


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait()


@contextmanager
def localbucket(root: Path, keys: Keys = Keys("test", "test")) -> Iterator[S3Server]:
    """``localbucket`` serving the buckets under ``root``."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "localbucket", str(root), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, "localbucket")
        yield S3Server(f"http://127.0.0.1:{port}", keys, root=root)
    finally:
        _stop(proc)


#: The policies of the users :func:`moto_server` creates (besides the admin that creates them). AWS
#: authorises HeadBucket by ``s3:ListBucket``; moto asks for an ``s3:HeadBucket`` action instead.
POLICIES = {
    "writer": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    "reader": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:HeadBucket"],
                "Resource": "*"}],
}


@contextmanager
def moto_server() -> Iterator[S3Server]:
    """moto's S3 server with authentication on: an admin (the server's own keys) and the users of POLICIES.

    moto lets the first ``INITIAL_NO_AUTH_ACTION_COUNT`` requests through unsigned; the first three create
    the admin, and every request after them must be signed by a key moto issued.
    """
    import boto3

    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3", "MOTO_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, "moto server")
        endpoint = f"http://127.0.0.1:{port}"

        def iam(keys: Keys) -> Any:
            return boto3.client("iam", endpoint_url=endpoint, region_name=REGION,
                                aws_access_key_id=keys.access_key_id, aws_secret_access_key=keys.secret_access_key)

        def user(client: Any, name: str, statements: list[dict[str, Any]]) -> Keys:
            client.create_user(UserName=name)
            client.put_user_policy(UserName=name, PolicyName=f"{name}-policy",
                                   PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
            key = client.create_access_key(UserName=name)["AccessKey"]
            return Keys(key["AccessKeyId"], key["SecretAccessKey"])

        admin = user(iam(Keys("bootstrap", "bootstrap")), "admin", [{"Effect": "Allow", "Action": "*",
                                                                      "Resource": "*"}])
        users = {name: user(iam(admin), name, statements) for name, statements in POLICIES.items()}
        yield S3Server(endpoint, admin, users=users)
    finally:
        _stop(proc)
