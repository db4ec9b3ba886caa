"""`shopops keys create | list | revoke` and the bad-input cases of each."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shopops.api import KEYS_FILE, KeyStore
from shopops.cli import app

runner = CliRunner()


def test_keys_create_list_revoke(tmp_path):
    made = runner.invoke(app, ["keys", "create", "--role", "operator", "--name", "warehouse team", "--data",
                               str(tmp_path)])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("sk_")
    who = KeyStore.for_data_dir(tmp_path).verify(secret)
    assert who is not None and who.role == "operator" and who.name == "warehouse team"
    listed = runner.invoke(app, ["keys", "list", "--data", str(tmp_path), "--format", "json"])
    rows = json.loads(listed.stdout)
    assert [(r["key_id"], r["role"], r["revoked_at"]) for r in rows] == [(who.key_id, "operator", None)]
    assert secret not in listed.stdout and secret not in (tmp_path / KEYS_FILE).read_bytes().decode("latin-1")
    revoked = runner.invoke(app, ["keys", "revoke", who.key_id, "--data", str(tmp_path)])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert KeyStore(tmp_path / KEYS_FILE, cache_seconds=0).verify(secret) is None


def test_keys_bad_input_exits_2_with_a_message(tmp_path):
    bad_role = runner.invoke(app, ["keys", "create", "--role", "root", "--name", "x", "--data", str(tmp_path)])
    assert bad_role.exit_code == 2 and "role must be one of admin, analyst" in bad_role.output
    blank = runner.invoke(app, ["keys", "create", "--role", "viewer", "--name", "  ", "--data", str(tmp_path)])
    assert blank.exit_code == 2 and "key name" in blank.output
    unknown = runner.invoke(app, ["keys", "revoke", "nope", "--data", str(tmp_path)])
    assert unknown.exit_code == 2 and "no API key with id 'nope'" in unknown.output
    assert KeyStore.for_data_dir(tmp_path).list_keys() == []  # nothing half-made


def test_demo_and_serve_have_their_switches():
    demo = runner.invoke(app, ["demo", "--help"])
    assert "--no-serve" in demo.output
    serve = runner.invoke(app, ["serve", "--help"])
    assert "127.0.0.1" in serve.output and "8321" in serve.output


def test_demo_ends_by_serving_the_dashboard_and_prints_a_link_that_signs_in(tmp_path):
    import os
    import re
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "shopops.cli", "demo", "--data", str(tmp_path), "--lines", "5000",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "80"})
    try:
        assert proc.stdout is not None
        link = None
        for line in proc.stdout:  # the link is printed once the server answers
            found = re.search(r"dashboard: (http://127\.0\.0\.1:\d+/)#key=(sk_\S+)", line)
            if found:
                link = found
                break
        assert link is not None, "demo printed no dashboard link"
        url, key = link.group(1), link.group(2)
        assert url == f"http://127.0.0.1:{port}/"
        assert "<title>shopops</title>" in httpx.get(url, timeout=10).text
        overview = httpx.get(url + "api/v1/overview", headers={"X-API-Key": key}, timeout=30)
        assert overview.status_code == 200 and overview.json()["cards"][0]["value"] > 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)
