from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

#: Few, shallow trees: the tests check behaviour, not accuracy (the benchmark measures that).
FAST = {"lgbm_params": {"n_estimators": 40}}


@pytest.fixture(scope="session")
def sim_shop(tmp_path_factory: pytest.TempPathFactory):
    """A small simulated shop (40 products, 240 days, stock-outs, categories), built once."""
    from shopops import Shop
    shop = Shop.open(tmp_path_factory.mktemp("forecast_sim"))
    shop.simulate(seed=3, days=240, products=40, customers=2000)
    return shop


@pytest.fixture(scope="session")
def retail_demand(retail_shop) -> pd.DataFrame:
    """Online Retail daily demand of 60 products (the best sellers and a random draw of the rest)."""
    from shopops.forecast import demand_history

    shop, _ = retail_shop
    df = demand_history(shop)
    volume = df.groupby("unique_id")["y"].sum().sort_values(ascending=False)
    rng = np.random.default_rng(0)
    chosen = list(volume.index[:20]) + list(rng.choice(volume.index[20:], 40, replace=False))
    return df[df["unique_id"].isin(chosen)].reset_index(drop=True)


@pytest.fixture(scope="session")
def retail_model(retail_demand: pd.DataFrame):
    from shopops.forecast import DemandForecaster

    return DemandForecaster(horizon=28, **FAST).fit(retail_demand)


def toy_history(series: dict[str, list[float]], start: str = "2024-01-01") -> pd.DataFrame:
    """Long frame from lists of daily values."""
    rows = [(uid, pd.Timestamp(start) + pd.Timedelta(days=k), float(v))
            for uid, values in series.items() for k, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path
