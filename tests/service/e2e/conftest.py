from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shopops import Shop
from shopops.api import KeyStore
from tests.ports import free_port

SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"


@dataclass
class Server:
    url: str
    shop: Shop
    keys: dict[str, str]

    def api(self, path: str, role: str = "admin", **params):
        r = httpx.get(self.url + path.lstrip("/"), params=params, headers={"X-API-Key": self.keys[role]}, timeout=60)
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Debian chromium is not installed (./run test installs it when run as root)")
    return path


def _serve(shop: Shop) -> Iterator[Server]:
    """A real uvicorn server started through the CLI (`shopops serve`) in its own process."""
    store = KeyStore.for_data_dir(shop.data_dir)
    keys = {role: store.create(role, f"e2e {role}")[1] for role in ("admin", "analyst", "viewer")}
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "shopops.cli", "serve", "--data", str(shop.data_dir),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "COLUMNS": "200"})
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("shopops serve did not start")
        yield Server(url, shop, keys)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def sim_server(sim_shop: Shop) -> Iterator[Server]:
    yield from _serve(sim_shop)


@pytest.fixture(scope="session")
def retail_server(retail_shop) -> Iterator[Server]:
    yield from _serve(retail_shop[0])


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, device_scale_factor=1)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    # the page's Content-Security-Policy allows this server only; a violation would be logged here
    p.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    p.errors = errors
    yield p
    context.close()
    assert not errors, errors


@pytest.fixture(scope="session")
def contract_server(sim_shop: Shop) -> Iterator[Server]:
    """The app over a shop with stand-ins of the coming capabilities, in a uvicorn thread."""
    import threading

    import uvicorn

    from shopops.api import create_app
    from tests.service.contract import ContractShop

    shop = ContractShop(sim_shop.data_dir)
    store = KeyStore.for_data_dir(shop.data_dir)
    keys = {role: store.create(role, f"contract {role}")[1] for role in ("admin", "analyst")}
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(shop), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(300):
        if server.started:
            break
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}/", shop, keys)
    server.should_exit = True
    thread.join(timeout=10)
