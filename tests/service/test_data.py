"""The API's numbers are the warehouse's: overview, KPIs, products, paging, CSV, filters; upload → ingest."""

from __future__ import annotations

import csv
import io
import re
from importlib import resources

import pandas as pd
import pytest

import shopops.api


def test_public_api_is_what_we_say():
    assert set(shopops.api.__all__) == {
        "API_PREFIX", "KEYS_FILE", "PERMISSIONS", "ROLES", "ROLE_PERMISSIONS", "ApiKey", "AuditEntry", "KeyStore",
        "Principal", "ServiceSettings", "create_app", "serve"}
    assert shopops.api.ROLES == ("admin", "analyst", "operator", "agent", "viewer", "ingest", "chat")
    assert shopops.api.ServiceSettings().host == "127.0.0.1"  # loopback unless configured


def test_overview_cards_are_the_last_full_month_against_the_one_before(service):
    ov = service.get("/api/v1/overview").json()
    months = service.shop.kpis("month")
    last_day = pd.Timestamp(service.shop.sql("SELECT max(order_date) AS d FROM fact_order")["d"].iloc[0]).date()
    full = months[[(p + pd.offsets.MonthEnd(0)).date() <= last_day for p in pd.to_datetime(months["period_start"])]]
    cur, prev = full.iloc[-1], full.iloc[-2]
    assert ov["period_start"] == str(pd.Timestamp(cur["period_start"]).date())
    cards = {c["key"]: c for c in ov["cards"]}
    assert cards["net_sales"]["value"] == pytest.approx(cur["net_sales"])
    assert cards["orders"]["previous"] == prev["orders"]
    assert cards["net_sales"]["change"] == pytest.approx((cur["net_sales"] - prev["net_sales"]) / prev["net_sales"])
    assert cards["repeat_rate"]["change"] == pytest.approx(cur["repeat_rate"] - prev["repeat_rate"])
    assert cards["cancellation_rate"]["higher_is_better"] is False
    assert len(ov["series"]) == len(months)
    # served from the cache on the second call: byte for byte the same answer
    assert service.get("/api/v1/overview").content == service.get("/api/v1/overview").content


def test_kpis_json_and_csv_match_the_python_api(service):
    expected = service.shop.kpis("week", start="2024-02-01", end="2024-03-31")
    js = service.get("/api/v1/kpis?grain=week&start=2024-02-01&end=2024-03-31").json()
    assert js["total"] == len(expected) == len(js["items"])
    assert [r["orders"] for r in js["items"]] == expected["orders"].tolist()
    r = service.get("/api/v1/kpis?grain=week&start=2024-02-01&end=2024-03-31&format=csv")
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [float(x["net_sales"]) for x in rows] == pytest.approx(expected["net_sales"].tolist())


def test_products_match_top_products_and_page_without_overlap(service):
    top = service.shop.top_products(10)
    js = service.get("/api/v1/products?limit=10").json()
    assert [p["product_id"] for p in js["items"]] == top["product_id"].tolist()
    assert [p["net_sales"] for p in js["items"]] == pytest.approx(top["net_sales"].tolist())
    first = service.get("/api/v1/products?limit=5&offset=0&sort=product_id&order=asc").json()["items"]
    second = service.get("/api/v1/products?limit=5&offset=5&sort=product_id&order=asc").json()["items"]
    ids = [p["product_id"] for p in first + second]
    assert ids == sorted(ids) and len(set(ids)) == 10


def test_filters_narrow_the_answer(service):
    category = service.get("/api/v1/categories?limit=1").json()["items"][0]["category"]
    products = service.get("/api/v1/products", params={"category": category, "limit": 1000}).json()
    assert products["total"] > 0 and {p["category"] for p in products["items"]} == {category}
    june = service.get("/api/v1/orders?start=2024-06-01&end=2024-06-30&limit=1000").json()
    assert june["total"] > 0 and all(o["ordered_at"].startswith("2024-06") for o in june["items"])
    customer = june["items"][0]["customer_id"]
    theirs = service.get("/api/v1/orders", params={"customer": customer}).json()["items"]
    assert theirs and {o["customer_id"] for o in theirs} == {customer}
    order = service.get(f"/api/v1/orders/{theirs[0]['order_id']}").json()
    assert len(order["lines"]) == order["order"]["lines"]


def test_detail_endpoints(service):
    pid = service.get("/api/v1/products?limit=1").json()["items"][0]["product_id"]
    detail = service.get(f"/api/v1/products/{pid}?grain=month").json()
    total = service.get(f"/api/v1/products?q={pid}").json()["items"][0]
    assert sum(p["units"] for p in detail["series"]) == total["units"]
    stock = service.get("/api/v1/inventory/stock?limit=1000").json()
    latest = service.shop.sql("SELECT count(*) AS n FROM fact_inventory WHERE date = (SELECT max(date) "
                              "FROM fact_inventory)")["n"].iloc[0]
    assert stock["total"] == latest and len({s["date"] for s in stock["items"]}) == 1


def test_capabilities_list_pages_and_what_the_caller_may_use(service):
    caps = {c["name"]: c for c in service.get("/api/v1/capabilities", role="viewer").json()}
    assert caps["overview"]["allowed"] and not caps["customers"]["allowed"]
    assert caps["forecast"] == {"name": "forecast", "page": "forecast", "permission": "sales:read", "allowed": True}
    assert caps["ingest"] == {"name": "ingest", "page": "", "permission": "ingest:write", "allowed": False}


def test_dashboard_references_no_external_url_and_assets_ship_with_the_package(service):
    page = service.client.get("/")
    html = page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]  # the browser enforces it too
    assert "<script>" not in html  # no inline script: the policy needs none
    static = resources.files("shopops.web") / "static"
    ours = [html] + [p.read_text() for p in (static / "pages").iterdir()] + \
        [(static / n).read_text() for n in ("app.js", "app.css", "i18n.js")]
    for text in ours:
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), "external URL in the dashboard"
    for src in re.findall(r'(?:src|href)="(/static/[^"?]+)', html):
        assert service.client.get(src).status_code == 200, src
    assert (static / "vendor" / "chart.umd.min.js").is_file() and (static / "vendor" / "chart.js.LICENSE.md").is_file()
    assert service.client.get("/docs").status_code == 200
    assert "/api/v1/overview" in service.client.get("/api/v1/openapi.json").json()["paths"]


def test_upload_ingests_with_quarantine_and_the_new_warehouse_is_served(empty_service):
    svc = empty_service
    assert svc.get("/api/v1/overview").status_code == 503  # no warehouse yet: a clear 503, not a 500
    assert "no warehouse" in svc.get("/api/v1/overview").json()["error"]
    body = (b"order_id,line_no,ordered_at,product_id,customer_id,quantity,unit_price\n"
            b"A1,1,2024-03-01 10:00,P1,C1,2,5.00\n"
            b"A1,2,2024-03-01 10:00,P2,C1,1,7.50\n"
            b"A2,1,2024-04-02 11:00,P1,C2,3,5.00\n"
            b"A3,1,not a date,P1,C2,abc,5.00\n")
    denied = svc.client.post("/api/v1/ingest?filename=orders.csv&adapter=canonical&table=order_lines",
                             headers={"X-API-Key": svc.keys["analyst"]}, content=body)
    assert denied.status_code == 403
    r = svc.client.post("/api/v1/ingest?filename=orders.csv&adapter=canonical&table=order_lines",
                        headers={"X-API-Key": svc.keys["operator"]}, content=body)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["status"] == "committed"
    table = report["tables"][0]
    assert (table["rows_in"], table["rows_ok"], table["rows_quarantined"]) == (4, 3, 1)
    assert "ordered_at" in next(iter(table["reasons"])) or "quantity" in " ".join(table["reasons"])
    kpis = svc.get("/api/v1/kpis?grain=month").json()["items"]
    assert [k["gross_sales"] for k in kpis] == pytest.approx([17.5, 15.0])
    assert svc.get("/api/v1/quality/quarantine").json()["total"] == 1
    again = svc.client.post("/api/v1/ingest?filename=orders.csv&adapter=canonical&table=order_lines",
                            headers={"X-API-Key": svc.keys["operator"]}, content=body)
    assert again.json()["status"] == "skipped"  # idempotent: the same file twice is not counted twice
    audit = svc.get("/api/v1/audit").json()["items"]
    assert [(a["role"], a["status"]) for a in audit[:3]] == [("operator", 200), ("operator", 200), ("analyst", 403)]
    assert audit[1]["detail"]["batch_id"] == report["batch_id"]


def test_a_form_upload_is_ingested_too(empty_service):
    svc = empty_service
    body = b"order_id,line_no,ordered_at,product_id,customer_id,quantity,unit_price\nF1,1,2024-05-01 09:00,P9,C9,2,4.25\n"
    r = svc.client.post("/api/v1/ingest?adapter=canonical&table=order_lines",
                        headers={"X-API-Key": svc.keys["admin"]}, files={"file": ("form orders.csv", body, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["tables"][0]["rows_ok"] == 1
    assert svc.get("/api/v1/kpis").json()["items"][0]["gross_sales"] == 8.5


def test_a_rebuilt_warehouse_is_picked_up_and_the_overview_cache_follows(empty_service):
    svc = empty_service
    head = "order_id,line_no,ordered_at,product_id,customer_id,quantity,unit_price\n"
    first = svc.client.post("/api/v1/ingest?filename=a.csv&adapter=canonical&table=order_lines",
                            headers={"X-API-Key": svc.keys["admin"]},
                            content=(head + "A1,1,2024-03-01 10:00,P1,C1,2,5.00\n").encode())
    assert first.status_code == 200
    before = svc.get("/api/v1/overview").json()
    svc.shop.ingest(_write(svc.shop.data_dir / "b.csv", head + "B1,1,2024-03-05 10:00,P1,C2,4,5.00\n"),
                    adapter="canonical", table="order_lines")  # a rebuild from outside the service
    after = svc.get("/api/v1/overview").json()
    assert before["series"][0]["gross_sales"] == 10.0 and after["series"][0]["gross_sales"] == 30.0


def _write(path, text):
    path.write_text(text)
    return path
