"""Regression: an uplift request the data cannot support answers 400 and stores nothing (it used to be a 500).

The shop of tests/security/test_schemathesis.py has a single control customer with revenue, so the
stratified holdout split of the revenue outcome raised scikit-learn's ValueError out of the endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shopops import Shop
from tests.service.conftest import Service, make_service

THIN_REQUEST = {"cost": 0.0, "method": "two_model", "outcome": "revenue", "value": 0.5}


@pytest.fixture(scope="module")
def thin_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    shop = Shop.open(tmp_path_factory.mktemp("thin-uplift") / "shop")
    shop.simulate(seed=11, days=120, products=25, customers=600)
    svc = make_service(shop)
    with svc.client:
        yield svc


def test_uplift_save_on_too_thin_an_experiment_is_400_and_stores_nothing(thin_service: Service) -> None:
    before = len(thin_service.shop.marketing_decisions())
    r = thin_service.client.post("/api/v1/marketing/uplift/save", params=THIN_REQUEST,
                                 headers={"X-API-Key": thin_service.keys["analyst"]})
    assert r.status_code == 400, r.text
    assert "too few customers" in r.text and "revenue" in r.text
    r = thin_service.get("/api/v1/marketing/uplift", role="analyst", params=THIN_REQUEST)
    assert r.status_code == 400, r.text
    assert len(thin_service.shop.marketing_decisions()) == before


def test_uplift_save_still_stores_a_list_the_data_supports(thin_service: Service) -> None:
    before = len(thin_service.shop.marketing_decisions())
    r = thin_service.client.post("/api/v1/marketing/uplift/save", params={"outcome": "visited"},
                                 headers={"X-API-Key": thin_service.keys["analyst"]})
    assert r.status_code == 200, r.text
    assert r.json()["decision_id"].startswith("targeting-")
    assert len(thin_service.shop.marketing_decisions()) == before + 1
