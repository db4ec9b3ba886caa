from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shopops import Shop
from tests.service.conftest import service, sim_shop  # noqa: F401  (the API fixtures, shared)

#: Names a hostile supplier or a compromised catalogue feed could carry (spreadsheets run them as formulas).
HOSTILE = ['=HYPERLINK("http://evil.example/x","c")', "+1+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.fixture(scope="session")
def hostile_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A small simulated shop whose best sellers were renamed by a hostile catalogue file."""
    root = tmp_path_factory.mktemp("hostile")
    shop = Shop.open(root / "shop")
    shop.simulate(seed=5, days=200, products=40, customers=1_200)
    top = shop.sql("SELECT product_id FROM fact_order_line GROUP BY 1 ORDER BY sum(net_amount) DESC, 1 "
                   f"LIMIT {len(HOSTILE)}")["product_id"].tolist()
    path = Path(root / "catalogue.csv")
    pd.DataFrame({"product_id": top, "name": HOSTILE[:len(top)], "category": "=cmd|x"}).to_csv(path, index=False)
    shop.ingest(path, table="products")
    return shop
