"""Planning on the demand forecaster's sample paths: the same model the forecast page shows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from shopops import Shop
from shopops.errors import ShopopsError
from shopops.inventory import BootstrapDemand, ForecastDemand

FAST = {"lgbm_params": {"n_estimators": 30}}


def _history(days: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rates = np.r_[np.full(10, 40.0), np.full(20, 2.0), np.full(10, 0.2)]
    return rng.poisson(rates[:, None], (len(rates), days)).astype(float)


def test_lead_time_demand_of_the_paths_keeps_the_forecast_mean_and_is_seeded() -> None:
    history = _history()
    sampler = ForecastDemand(first_day=date(2024, 1, 1), n_samples=400, forecaster=FAST)
    lead, sd, review = np.full(40, 10.0), np.zeros(40), np.full(40, 7, dtype=np.int64)
    ltd = sampler.sample(history, lead, sd, review)
    assert ltd.lead.shape == (40, 400) and (ltd.lead_review >= ltd.lead).all()
    # Stationary Poisson demand: the lead-time mean is about 10 days of the rate, the review adds 7.
    rates = history[:, -28:].mean(axis=1)
    busy = rates > 10
    assert np.allclose(ltd.lead.mean(axis=1)[busy], 10 * rates[busy], rtol=0.15)
    assert np.allclose(ltd.review[busy], 7 * rates[busy], rtol=0.15)
    again = ForecastDemand(first_day=date(2024, 1, 1), n_samples=400, forecaster=FAST).sample(history, lead, sd,
                                                                                                review)
    assert np.array_equal(ltd.lead, again.lead)
    assert sampler.sample(history, lead, sd, review) is ltd  # kept: replays of other targets do not refit
    assert "sample paths" in sampler.describe() and "bootstrap" in BootstrapDemand().describe()


def test_products_that_never_sold_get_zero_paths_and_empty_history_is_an_error() -> None:
    history = _history()
    history[5] = 0.0
    ltd = ForecastDemand(first_day=date(2024, 1, 1), n_samples=50, forecaster=FAST).sample(
        history, np.full(40, 5.0), np.ones(40), np.full(40, 7, dtype=np.int64))
    assert (ltd.lead_review[5] == 0).all() and (ltd.lead_review[0] > 0).all()
    with pytest.raises(ShopopsError, match="history is empty"):
        ForecastDemand(first_day=date(2024, 1, 1)).sample(np.zeros((3, 0)), np.ones(3), np.zeros(3), np.ones(3))


@pytest.mark.slow
def test_replenish_on_the_paths_and_an_unknown_demand_model(sim_shop: Shop) -> None:
    paths = sim_shop.replenish(demand_model="paths")
    boot = sim_shop.replenish()
    assert paths.params["demand_model"] == "paths" and "sample paths" in paths.model
    assert paths.lines["explanation"].str.contains("sample paths of the demand forecaster").all()
    assert list(paths.lines["product_id"]) == list(boot.lines["product_id"])
    # The same products, the same policy: the two demand models see demand of the same size.
    a, b = paths.lines["daily_demand"].sum(), boot.lines["daily_demand"].sum()
    assert 0.5 < a / b < 2.0
    with pytest.raises(ShopopsError, match="unknown demand model 'magic'"):
        sim_shop.replenish(demand_model="magic")
