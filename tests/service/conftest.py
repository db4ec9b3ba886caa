from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shopops import Shop
from shopops.api import ROLES, KeyStore, ServiceSettings, create_app


@dataclass
class Service:
    shop: Shop
    client: TestClient
    keys: dict[str, str]  # role -> secret

    def get(self, path: str, role: str | None = "admin", **kw):
        headers = kw.pop("headers", {})
        if role:
            headers["X-API-Key"] = self.keys[role]
        return self.client.get(path, headers=headers, **kw)


def make_service(shop: Shop, **settings) -> Service:
    store = KeyStore.for_data_dir(shop.data_dir)
    keys = {role: store.create(role, f"test {role}")[1] for role in ROLES}
    app = create_app(shop, ServiceSettings(**settings))
    # raise_server_exceptions=False: a bug must show up as the 500 a client would get, and be counted
    return Service(shop, TestClient(app, raise_server_exceptions=False), keys)


@pytest.fixture(scope="session")
def sim_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A small simulated shop (half a year, 60 products), built once for the API tests."""
    shop = Shop.open(tmp_path_factory.mktemp("api-sim"))
    shop.simulate(days=180, products=60, customers=1500)
    return shop


@pytest.fixture(scope="session")
def service(sim_shop: Shop) -> Iterator[Service]:
    svc = make_service(sim_shop, max_body_kb=16, max_upload_mb=0.5)
    with svc.client:
        yield svc


@pytest.fixture()
def empty_service(tmp_path: Path) -> Iterator[Service]:
    svc = make_service(Shop.open(tmp_path / "shop"), max_upload_mb=0.5)
    with svc.client:
        yield svc
