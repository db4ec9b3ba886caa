from __future__ import annotations

import pytest

from shopops import Shop


@pytest.fixture(scope="session")
def orders_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A small simulated shop (ten months) with trained order scores."""
    shop = Shop.open(tmp_path_factory.mktemp("orders-sim"))
    shop.simulate(seed=7, days=300, products=80, customers=2500)
    shop.orders_train(holdout_months=2, n_estimators=40)
    return shop
