"""The forecast, customers and inventory routers: on stand-in methods of the real shapes (exact answers,
caching) and on the real methods (real results)."""

from __future__ import annotations

import pytest

from .conftest import make_service
from .contract import QUANTILES, ContractShop


@pytest.fixture(scope="module")
def contract_service(sim_shop):
    svc = make_service(ContractShop(sim_shop.data_dir))
    with svc.client:
        yield svc


def test_forecast_router_serves_the_contract_and_caches_per_build(contract_service):
    ContractShop.calls = 0
    page = contract_service.get("/api/v1/forecast?horizon=7&limit=1000").json()
    products = contract_service.shop.sql("SELECT count(*) AS n FROM dim_product WHERE is_product")["n"].iloc[0]
    assert page["total"] == 7 * products and set(QUANTILES) <= set(page["items"][0])
    one = contract_service.get("/api/v1/forecast", params={"horizon": 7, "product": page["items"][0]["unique_id"]})
    assert one.json()["total"] == 7
    assert ContractShop.calls == 1  # the second call was served from the cache of this warehouse build
    csv = contract_service.get("/api/v1/forecast?horizon=7&format=csv").text
    assert csv.splitlines()[0].startswith("unique_id,ds,yhat,q05")


def test_customer_routers_serve_segments_and_recommendations(contract_service):
    segs = contract_service.get("/api/v1/customers/segments?segment=at risk").json()
    assert segs["total"] == 3 and {s["segment"] for s in segs["items"]} == {"at risk"}
    assert [s["segment"] for s in contract_service.get("/api/v1/customers/segments/summary").json()] == \
        ["champions", "at risk"]
    customer = segs["items"][0]["customer_id"]
    recs = contract_service.get(f"/api/v1/customers/{customer}/recommendations?k=2").json()
    assert [r["product_id"] for r in recs] == ["P1", "P2"] and recs[0]["reason"]
    assert contract_service.get("/api/v1/customers/NOPE/recommendations").status_code == 404


def test_real_forecast(service):
    items = service.get("/api/v1/forecast?horizon=7&limit=1000").json()["items"]
    assert items and all(r["q05"] <= r["q25"] <= r["q50"] <= r["q75"] <= r["q95"] for r in items if r["q05"] is not None)
    acc = service.get("/api/v1/forecast/accuracy", params={"horizon": 7, "product": items[0]["unique_id"]}).json()
    assert acc["unique_id"] == items[0]["unique_id"] and acc["model"] and acc["backtest_days"] >= 1
    assert 0 <= acc["p_zero"] <= 1 and acc["dispersion"] > 0
    missing = service.get("/api/v1/forecast/accuracy", params={"horizon": 7, "product": "NO-SUCH-PRODUCT"})
    assert missing.status_code == 404 and "NO-SUCH-PRODUCT" in missing.json()["error"]


def test_real_segments(service):
    segs = service.get("/api/v1/customers/segments?limit=1000").json()
    assert segs["total"] > 0 and all(s["segment"] for s in segs["items"])
    summary = service.get("/api/v1/customers/segments/summary").json()
    assert summary


def test_real_recommendations(service):
    customer = service.get("/api/v1/customers?limit=1").json()["items"][0]["customer_id"]
    recs = service.get(f"/api/v1/customers/{customer}/recommendations?k=5")
    assert recs.status_code == 200 and len(recs.json()) <= 5


def test_real_purchase_plan(service):
    plan = service.get("/api/v1/inventory/plan?limit=1000").json()
    assert plan["total"] > 0 and all(r["order_qty"] > 0 for r in plan["items"])
    values = [r["order_value"] for r in plan["items"]]
    assert values == sorted(values, reverse=True)
    pos = service.get("/api/v1/inventory/purchase-orders?limit=1000").json()
    assert sum(p["units"] for p in pos["items"]) == sum(r["order_qty"] for r in plan["items"])
    csv = service.get("/api/v1/inventory/purchase-orders?format=csv").text
    assert csv.splitlines()[0].startswith("po_number,supplier_id")
    one = service.get("/api/v1/inventory/plan", params={"supplier": pos["items"][0]["supplier_id"]}).json()
    assert one["total"] == pos["items"][0]["lines"]
    alerts = service.get("/api/v1/inventory/alerts?limit=1000").json()
    assert alerts["total"] > 0 and {"alert", "value", "message"} <= set(alerts["items"][0])
    dead = service.get("/api/v1/inventory/alerts", params={"kind": "dead_stock"}).json()
    assert all(a["alert"] == "dead_stock" for a in dead["items"])


def test_fulfilment_kpis_and_the_queue_need_no_trained_order_model(service):
    """The KPIs come from the warehouse and the decisions store: a shop that never trained triage still sees them."""
    from shopops.errors import ShopopsError
    from shopops.orders import load_scorer

    with pytest.raises(ShopopsError, match="no trained order scores"):  # this shop never trained triage
        load_scorer(service.shop.data_dir)
    kpis = service.get("/api/v1/orders/kpis?grain=week&limit=500", role="analyst")
    assert kpis.status_code == 200, kpis.text
    weeks = kpis.json()["periods"]
    want = service.shop.sql("SELECT count(DISTINCT period) AS n FROM kpi_fulfilment WHERE grain = 'week'").n.iloc[0]
    assert len(weeks) == want > 10 and all(w["orders"] > 0 for w in weeks)
    for path in ("/api/v1/orders/queue", "/api/v1/orders/late"):
        answer = service.get(path, role="analyst")
        assert answer.status_code == 200 and isinstance(answer.json(), list), (path, answer.text)
