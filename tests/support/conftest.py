from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest

from shopops import Shop
from shopops.api import KeyStore
from shopops.shop import SIMULATED_TABLES
from shopops.simulate import SUPPORT_LOG, SimulationConfig, simulate_shop
from shopops.support import SupportBot, TrainResult

# The dashboard tests' real server (`shopops serve` in its own process).
from tests.service.e2e.conftest import _serve


@dataclass
class SupportShop:
    shop: Shop
    trained: TrainResult
    log: pd.DataFrame  # the simulated support log (truth)
    customers: pd.DataFrame  # raw customer table of the simulation (before pseudonymisation)

    def bot(self) -> SupportBot:
        return self.shop.support_bot()

    def order_of_customer(self, status: str | None = None) -> tuple[str, str, str]:
        """An order of a known customer: (order_id, e-mail, phone)."""
        where = f"AND status = '{status}'" if status else ""
        row = self.shop.sql(f"SELECT order_id, customer_id FROM fact_order WHERE customer_id IS NOT NULL AND is_sale "
                            f"{where} ORDER BY order_id LIMIT 1").iloc[0]
        c = self.customers.set_index("customer_id").loc[row.customer_id]
        return str(row.order_id), str(c.email), str(c.phone)


@pytest.fixture(scope="session")
def support_shop(tmp_path_factory: pytest.TempPathFactory) -> SupportShop:
    """A small simulated shop with many messages, ingested, built and with a trained bot."""
    shop = Shop.open(tmp_path_factory.mktemp("support-sim"))
    out = shop.data_dir / "sources" / "sim-0"
    simulate_shop(out, SimulationConfig(seed=0, days=150, n_products=80, n_customers=2500,
                                        messages_per_1000_orders=400.0))
    for name in SIMULATED_TABLES:
        for part in sorted((out / name).glob("*.parquet")):
            shop.ingest(part, adapter="canonical", table=name, build=False)
    shop.build()
    trained = shop.support_train()
    log = pd.read_parquet(out / SUPPORT_LOG / "part-00000.parquet")
    customers = pd.concat([pd.read_parquet(p) for p in sorted((out / "customers").glob("*.parquet"))])
    return SupportShop(shop, trained, log, customers)


@dataclass
class Server:
    url: str
    keys: dict[str, str]

    def post(self, path: str, role: str, **kw: object) -> httpx.Response:
        return httpx.post(self.url + path.lstrip("/"), headers={"X-API-Key": self.keys[role]}, timeout=60, **kw)

    def get(self, path: str, role: str, **kw: object) -> httpx.Response:
        return httpx.get(self.url + path.lstrip("/"), headers={"X-API-Key": self.keys[role]}, timeout=60, **kw)


@pytest.fixture(scope="session")
def support_server(support_shop: SupportShop) -> Iterator[Server]:
    """A real uvicorn server (`shopops serve`) on loopback, in its own process, over the support shop."""
    store = KeyStore.for_data_dir(support_shop.shop.data_dir)
    keys = {role: store.create(role, f"support {role}")[1] for role in ("agent", "chat")}
    for server in _serve(support_shop.shop):
        yield Server(server.url, {**server.keys, **keys})


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "shop"


