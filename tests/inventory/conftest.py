from __future__ import annotations

import pytest

from shopops import Shop


@pytest.fixture(scope="session")
def sim_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A small simulated shop with suppliers, stock and purchase orders (read-only for tests)."""
    shop = Shop.open(tmp_path_factory.mktemp("inv-sim"))
    shop.simulate(seed=7, days=400, products=120, customers=4_000)
    return shop
