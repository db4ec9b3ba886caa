"""Bad input for a lake on object storage: clear errors, no secret in them, nothing half-written; two writers."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from shopops import Shop
from shopops.errors import ShopopsError
from shopops.lake import Lake

from .conftest import SECRET, S3Server

LINES = """order_id,line_no,ordered_at,product_id,quantity,unit_price
1,1,2024-03-01 10:00,SKU-1,2,9.99
2,1,2024-03-02 11:30,SKU-1,1,9.99
"""


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "lines.csv"
    path.write_text(LINES)
    return path


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_endpoint(s3_env: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    bucket = s3_env.new_bucket()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(ShopopsError, match=r"cannot reach the S3 endpoint at http://127\.0\.0\.1") as err:
        Shop.open(f"s3://{bucket}/shop").ingest(_source(tmp_path), table="order_lines")
    assert SECRET not in str(err.value) and f"s3://{bucket}/shop" in str(err.value)
    assert not list((s3_env.root / bucket).rglob("*.*"))


def test_missing_credentials(s3_env: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    bucket = s3_env.new_bucket()
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ShopopsError, match="no AWS credentials found; set AWS_ACCESS_KEY_ID"):
        Shop.open(f"s3://{bucket}/shop").ingest(_source(tmp_path), table="order_lines")
    assert not list((s3_env.root / bucket).rglob("*.*"))


def test_missing_bucket(s3_env: S3Server, tmp_path: Path):
    with pytest.raises(ShopopsError, match="the bucket 'no-such-bucket' does not exist") as err:
        Shop.open("s3://no-such-bucket/shop").ingest(_source(tmp_path), table="order_lines")
    assert SECRET not in str(err.value)
    assert not (s3_env.root / "no-such-bucket").exists()


def test_unsupported_scheme(tmp_path: Path):
    with pytest.raises(ShopopsError, match="a lake on ftp:// is not supported"):
        Shop.open("ftp://host/shop")


def test_second_writer_refuses_then_waits(s3_env: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Two machines (two local folders) on one lake: the second refuses, or waits for the first."""
    bucket = s3_env.new_bucket()
    uri = f"s3://{bucket}/shop"
    first = Shop.open(uri)
    monkeypatch.setenv("SHOPOPS_LOCAL_DIR", str(tmp_path / "machine-2"))
    second = Shop.open(uri)
    assert first.data_dir != second.data_dir
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with Lake(first.data_dir).writer_lock():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        monkeypatch.setenv("SHOPOPS_LAKE_LOCK_WAIT", "0")
        with pytest.raises(ShopopsError, match=r"another writer .* holds the lake") as err:
            second.ingest(_source(tmp_path), table="order_lines")
        assert f"pid {os.getpid()}" in str(err.value)
        assert Lake(second.data_dir).batches() == []

        monkeypatch.setenv("SHOPOPS_LAKE_LOCK_WAIT", "60")
        waits: list[str] = []
        threading.Timer(1.0, release.set).start()
        result = second.ingest(_source(tmp_path), table="order_lines", on_step=waits.append)
        assert result.status == "committed"
        assert any(w.startswith("waiting for another writer") for w in waits)
    finally:
        release.set()
        holder.join()
    assert [b.seq for b in Lake(first.data_dir).batches()] == [1]


def test_expired_lease_of_another_host_is_taken_over(s3_env: S3Server, tmp_path: Path):
    bucket = s3_env.new_bucket()
    s3_env.client().put_object(Bucket=bucket, Key="shop/lake/_lease.json", Body=json.dumps(
        {"holder": "elsewhere pid 1", "host": "elsewhere", "pid": 1, "token": "x", "expires_at": time.time() - 1}))
    result = Shop.open(f"s3://{bucket}/shop").ingest(_source(tmp_path), table="order_lines")
    assert result.status == "committed"


def test_cli_ingest_build_and_read_with_a_lake_uri(s3_env: S3Server, tmp_path: Path):
    from typer.testing import CliRunner

    from shopops.cli import app

    bucket = s3_env.new_bucket()
    uri = f"s3://{bucket}/cli"
    runner = CliRunner()
    done = runner.invoke(app, ["ingest", str(_source(tmp_path)), "--table", "order_lines", "--data", uri])
    assert done.exit_code == 0, done.output
    assert (s3_env.root / bucket / "cli" / "lake" / "_batches").is_dir()
    assert runner.invoke(app, ["build", "--data", uri]).exit_code == 0
    shown = runner.invoke(app, ["kpi", "--data", uri, "--grain", "day", "--format", "csv"])
    assert shown.exit_code == 0 and "2024-03-01" in shown.output
    other = runner.invoke(app, ["build", "--data", "s3://no-such-bucket/cli"])  # the same SHOPOPS_LOCAL_DIR
    assert other.exit_code == 2 and "give each lake its own SHOPOPS_LOCAL_DIR" in " ".join(other.output.split())
    missing = runner.invoke(app, ["build", "--data", "s3://no-such-bucket/cli"],
                            env={"SHOPOPS_LOCAL_DIR": str(tmp_path / "local-2")})
    text = " ".join(missing.output.split())
    assert missing.exit_code == 2 and "the bucket 'no-such-bucket' does not exist" in text and SECRET not in text


def test_bucket_the_server_may_not_write(s3_env: S3Server, tmp_path: Path):
    """localbucket checks no credentials; an immutable bucket folder is a bucket that refuses every write."""
    import shutil
    import subprocess

    bucket = s3_env.new_bucket()
    folder = s3_env.root / bucket
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
        pytest.skip("chattr +i is not available on this filesystem")
    try:
        with pytest.raises(ShopopsError, match=rf"s3://{bucket}/shop: writing lake/_lease.json failed") as err:
            Shop.open(f"s3://{bucket}/shop").ingest(_source(tmp_path), table="order_lines")
        assert SECRET not in str(err.value)
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert not any(folder.iterdir())
