"""The marketing capability through the facade, the CLI and the API on a small simulated shop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopops import Shop
from shopops.cli import app
from shopops.opstore import OperationalStore
from tests.service.conftest import Service, make_service


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    shop = Shop.open(tmp_path_factory.mktemp("marketing-shop"))
    shop.simulate(days=240, products=40, customers=2500)
    return shop


@pytest.fixture(scope="module")
def service(shop: Shop) -> Iterator[Service]:
    svc = make_service(shop)
    with svc.client:
        yield svc


def test_shop_budget_and_stored_decision(shop: Shop) -> None:
    result = shop.marketing_budget(20_000.0, days=30, save=True)
    alloc = result.allocation
    assert set(alloc["channel"]) == set(shop.sql("SELECT DISTINCT channel FROM fact_ad")["channel"])
    assert alloc["recommended_spend"].sum() == pytest.approx(20_000.0)
    decision = result.params["decision_id"]
    store = OperationalStore.for_data_dir(shop.data_dir)
    lines = store.frame("SELECT * FROM marketing_budget_line WHERE decision_id = ?", [decision])
    assert len(lines) == len(alloc)
    assert shop.marketing_decisions("budget")["decision_id"].iloc[0] == decision


def test_cli_uplift_saves_the_list_and_exports_it(shop: Shop, tmp_path: Path) -> None:
    out = tmp_path / "targets.csv"
    res = CliRunner().invoke(app, ["marketing", "uplift", "--data", str(shop.data_dir), "--cost", "0.02", "--save",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "stored as decision targeting-" in res.output
    assert out.read_text().startswith("customer_id,estimated_uplift,rank,reasons")
    decision = shop.marketing_decisions("targeting")["decision_id"].iloc[0]
    from shopops.marketing import targeting_list

    stored = targeting_list(shop.data_dir, decision)
    assert len(stored) == len(out.read_text().strip().splitlines()) - 1
    assert stored["rank"].is_monotonic_increasing


def test_cli_budget_refuses_bounds_that_cannot_hold(shop: Shop, tmp_path: Path) -> None:
    rules = tmp_path / "bounds.json"
    rules.write_text(json.dumps({"bounds": {"search": [9000, None], "email": [9000, None]}}))
    before = len(shop.marketing_decisions())
    res = CliRunner().invoke(app, ["marketing", "budget", "--total", "10000", "--bounds", str(rules), "--data",
                                   str(shop.data_dir), "--save"])
    assert res.exit_code == 2
    assert "minimums and fixed channels add up to 18,000.00, above the total budget 10,000.00" in " ".join(
        res.output.split())
    assert len(shop.marketing_decisions()) == before  # nothing stored


def test_cli_ctr_bandit_and_decisions(shop: Shop) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["marketing", "ctr", "evaluate", "--data", str(shop.data_dir), "--model",
                              "hashed_logistic", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "hashed_logistic" in res.output and "base_log_loss" in res.output
    res = runner.invoke(app, ["marketing", "ctr", "train", "--data", str(shop.data_dir)])
    assert res.exit_code == 0, res.output
    assert (shop.data_dir / "models" / "marketing" / "ctr-clicked-hashed_logistic.joblib").is_file()
    res = runner.invoke(app, ["marketing", "bandit", "--data", str(shop.data_dir), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].startswith("arm,impressions,conversions,rate,next_share,stopped")


def test_api_budget_uplift_and_roles(service: Service) -> None:
    r = service.get("/api/v1/marketing/budget", role="analyst", params={"total": 15000})
    assert r.status_code == 200, r.text
    body = r.json()
    assert sum(a["recommended_spend"] for a in body["allocation"]) == pytest.approx(15000)
    assert {"channel", "daily_spend", "conversions", "low", "high"} <= set(body["curves"][0])
    r = service.get("/api/v1/marketing/uplift", role="analyst", params={"limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["targets"]) == 5 and body["targets_total"] >= 5
    assert {row["method"] for row in body["comparison"]} == {"interaction", "two_model", "class_transformation"}
    csv = service.get("/api/v1/marketing/uplift", role="analyst", params={"fmt": "csv"})
    assert csv.status_code == 200 and csv.text.startswith("customer_id,")
    assert service.get("/api/v1/marketing/budget", role="viewer").status_code == 403


def test_api_bad_requests_are_400_and_store_nothing(service: Service) -> None:
    before = len(service.shop.marketing_decisions())
    r = service.client.post("/api/v1/marketing/budget", headers={"X-API-Key": service.keys["analyst"]},
                            json={"total": 1000, "bounds": {"search": [5000, None]}, "save": True})
    assert r.status_code == 400 and "above the total budget" in r.text
    r = service.get("/api/v1/marketing/uplift", role="analyst", params={"treatment": "carrier-pigeon"})
    assert r.status_code == 400 and "no arm 'carrier-pigeon'" in r.text
    assert len(service.shop.marketing_decisions()) == before
    r = service.client.post("/api/v1/marketing/uplift/save", headers={"X-API-Key": service.keys["analyst"]})
    assert r.status_code == 200 and r.json()["decision_id"].startswith("targeting-")
