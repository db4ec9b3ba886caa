from __future__ import annotations

import pytest

from shopops import Shop


@pytest.fixture(scope="session")
def sim_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A small simulated shop with suppliers, stock and purchase orders (read-only for tests)."""
    from shopops.demo import simulate_into

    shop = Shop.open(tmp_path_factory.mktemp("inv-sim"))
    simulate_into(shop, seed=7, days=400, products=120, customers=4_000)
    return shop
