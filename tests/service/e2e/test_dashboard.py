"""The dashboard in a real headless Chromium against a real `shopops serve`: sign in, switch language,
open every page, charts drawn with the API's numbers, tables that sort and filter; screenshots saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.e2e.conftest import SCREENSHOTS

PAGES = ["overview", "products", "forecast", "inventory", "customers", "quality"]
CHARTS = {"overview": ["chart-sales", "chart-orders", "chart-customers"], "products": ["chart-categories"],
          "inventory": ["chart-stock"], "customers": ["chart-countries"], "quality": ["chart-quality"]}


def sign_in(page, server, role="analyst"):
    page.goto(server.url)
    page.fill("#login-key", server.keys[role])
    page.click("#login-form button")
    page.wait_for_selector('#page[data-ready="1"]')


def open_page(page, server, name):
    page.goto(f"{server.url}#/{name}")
    page.wait_for_selector(f'#page[data-page="{name}"][data-ready="1"]')


def until(page, expression: str, seconds: float = 15.0) -> None:
    """Poll ``expression`` from outside the page (wait_for_function evaluates strings in the page, which
    the dashboard's Content-Security-Policy forbids, as it should)."""
    for _ in range(int(seconds / 0.05)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {expression}")


def drawn_charts(page) -> dict[str, int]:
    """Chart id -> number of non-empty points of its first dataset, for every chart Chart.js has drawn."""
    return page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('canvas[data-chart]'))
        .filter(c => Chart.getChart(c) && c.width > 0 && c.height > 0)
        .map(c => [c.id, Chart.getChart(c).data.datasets[0].data.filter(v => v !== null).length]))""")


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a real picture, not an empty frame


def test_sign_in_refuses_a_bad_key_and_accepts_a_good_one(page, sim_server):
    page.goto(sim_server.url)
    page.fill("#login-key", "sk_00000000_wrong")
    page.click("#login-form button")
    until(page, "document.querySelector('#login-error').textContent.length > 0")
    assert page.is_visible("#login") and not page.is_visible("#page")
    page.errors.clear()  # the refused key's 401 is expected here
    sign_in(page, sim_server)
    assert page.inner_text("#who").endswith("analyst")


def test_every_page_renders_its_charts_with_the_api_numbers(page, sim_server):
    sign_in(page, sim_server)
    ov = sim_server.api("/api/v1/overview")
    for name in PAGES:
        open_page(page, sim_server, name)
        charts = drawn_charts(page)
        for chart in CHARTS.get(name, []):
            assert charts.get(chart, 0) > 0, (name, chart, charts)
        shoot(page, f"sim-{name}")
        if name == "overview":
            for card in ov["cards"]:
                shown = page.get_attribute(f'[data-kpi="{card["key"]}"]', "data-value")
                assert float(shown) == pytest.approx(card["value"]), card["key"]
            net = page.inner_text('[data-kpi="net_sales"] .value')
            assert net.replace("£", "").replace(",", "") == str(round(ov["cards"][0]["value"]))
            series = page.evaluate("Chart.getChart(document.getElementById('chart-sales')).data.datasets[0].data")
            assert series == pytest.approx([r["net_sales"] for r in ov["series"]])
        if name == "products":
            top = sim_server.api("/api/v1/products", limit=1)["items"][0]
            first = page.locator("#products-table tbody tr").first
            assert first.locator("td").first.inner_text() == top["product_id"]
            assert float(first.locator("td").last.get_attribute("data-value")) == pytest.approx(top["net_sales"])
        if name == "quality":
            total = sum(r["rows_quarantined"] for r in sim_server.api("/api/v1/quality", limit=1000)["items"])
            bars = page.evaluate("Chart.getChart(document.getElementById('chart-quality')).data.datasets[1].data")
            assert sum(bars) == total
        if name == "inventory":
            plan = sim_server.api("/api/v1/inventory/plan", limit=1)
            assert page.inner_text("#plan-count").startswith(f"{plan['total']:,}")
            pos = sim_server.api("/api/v1/inventory/purchase-orders", limit=1000)["items"]
            assert page.locator("#po-table tbody tr").count() == len(pos)
            first = page.locator("#plan-table tbody tr").first.locator("td").first.inner_text()
            assert first == plan["items"][0]["product_id"]
            assert page.locator("#alert-table tbody tr").count() > 0


def test_tables_sort_and_filter(page, sim_server):
    sign_in(page, sim_server)
    open_page(page, sim_server, "products")
    rows = page.locator("#products-table tbody tr")
    before = rows.count()
    page.click('#products-table th[data-col="units"]')  # numbers sort biggest first on the first click
    units = [int(v) for v in page.eval_on_selector_all(
        '#products-table tbody td:nth-child(4)', "els => els.map(e => e.dataset.value)")]
    assert units == sorted(units, reverse=True)
    page.click('#products-table th[data-col="units"]')
    units = [int(v) for v in page.eval_on_selector_all(
        '#products-table tbody td:nth-child(4)', "els => els.map(e => e.dataset.value)")]
    assert units == sorted(units)
    category = page.locator("#products-table tbody tr").first.locator("td").nth(2).inner_text()
    page.fill('[data-filter="products-table"]', category)
    after = rows.count()
    assert 0 < after < before
    assert {page.locator("#products-table tbody tr").nth(i).locator("td").nth(2).inner_text()
            for i in range(after)} == {category}


def test_product_click_shows_its_sales_chart(page, sim_server):
    sign_in(page, sim_server)
    open_page(page, sim_server, "products")
    page.locator("#products-table tbody tr").first.click()
    until(page, "!!document.getElementById('chart-product') && "
                "!!Chart.getChart(document.getElementById('chart-product'))")
    assert drawn_charts(page)["chart-product"] > 0


def test_language_switch_changes_labels_and_persists_over_reload(page, sim_server):
    sign_in(page, sim_server)
    assert page.inner_text('#nav a[data-page="overview"]') == "Overview"
    page.click("#lang-switch")
    page.wait_for_selector('#page[data-ready="1"]')
    assert page.inner_text('#nav a[data-page="overview"]') == "总览"
    assert page.inner_text('[data-kpi="net_sales"] .label') == "净销售额"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    shoot(page, "sim-overview-zh")
    page.reload()
    page.wait_for_selector('#page[data-ready="1"]')
    assert page.inner_text('#nav a[data-page="products"]') == "商品"  # remembered (localStorage)
    page.click("#lang-switch")
    page.wait_for_selector('#page[data-ready="1"]')
    assert page.inner_text('#nav a[data-page="products"]') == "Products"


def test_a_viewer_sees_the_denied_state_not_customer_data(page, sim_server):
    sign_in(page, sim_server, role="viewer")
    open_page(page, sim_server, "customers")
    assert page.is_visible('[data-testid="denied"]')
    assert page.locator("#customers-table").count() == 0


def test_real_online_retail_pages(page, retail_server):
    """The same pages on the real UCI Online Retail data (screenshots for docs/service.md)."""
    sign_in(page, retail_server, role="admin")
    ov = retail_server.api("/api/v1/overview")
    assert ov["period_start"] == "2011-11-01"  # the data ends on 9 Dec 2011: November is the last full month
    assert ov["partial_from"] == "2011-12-01"
    for name in ("overview", "products", "customers", "quality"):
        open_page(page, retail_server, name)
        assert drawn_charts(page), name
        shoot(page, f"retail-{name}")
    open_page(page, retail_server, "overview")
    assert "2011-12-01 → 2011-12-09" in page.inner_text('[data-testid="partial"]')
    shown = float(page.get_attribute('[data-kpi="orders"]', "data-value"))
    assert shown == next(c["value"] for c in ov["cards"] if c["key"] == "orders")


def test_the_demo_link_signs_in_and_hides_the_key(page, sim_server):
    page.goto(f"{sim_server.url}#key={sim_server.keys['viewer']}")
    page.wait_for_selector('#page[data-page="overview"][data-ready="1"]')
    assert sim_server.keys["viewer"] not in page.url
    assert page.inner_text("#who").endswith("viewer")


def test_pages_of_the_coming_capabilities_draw_their_contract_data(page, contract_server):
    """Forecast band, segments and the purchase-order export, on stand-ins of the real shapes."""
    sign_in(page, contract_server)
    open_page(page, contract_server, "forecast")
    until(page, "!!document.getElementById('chart-forecast') && "
                "!!Chart.getChart(document.getElementById('chart-forecast'))")
    bands = page.evaluate("""Chart.getChart(document.getElementById('chart-forecast')).data.datasets
        .map(d => [d.label, d.data.filter(v => v !== null).length])""")
    product = page.input_value("#forecast-product")
    expected = contract_server.api("/api/v1/forecast", product=product, limit=1000)["items"]
    # 90 % band (two edges), mean and median; the stand-in has no q25/q75, so no 50 % band is drawn.
    assert [n for _label, n in bands[1:]] == [len(expected)] * 4 and len(expected) == 28
    assert page.inner_text("#forecast-accuracy")
    shoot(page, "contract-forecast")
    open_page(page, contract_server, "customers")
    sizes = page.evaluate("Chart.getChart(document.getElementById('chart-segments')).data.datasets[0].data")
    assert sizes == [2, 3]
    open_page(page, contract_server, "inventory")
    with page.expect_download() as download:
        page.click("#export-po")
    exported = Path(download.value.path()).read_text().splitlines()
    pos = contract_server.api("/api/v1/inventory/purchase-orders", limit=1000)
    assert exported[0].startswith("po_number,supplier_id") and len(exported) == pos["total"] + 1


def test_stock_alerts_follow_the_language_and_group_low_severity(page, sim_server):
    sign_in(page, sim_server)
    grouped = sim_server.api("/api/v1/inventory/alerts", limit=500, grouped=True)["items"]
    open_page(page, sim_server, "inventory")
    rows = page.locator("#alert-table tbody tr")
    assert rows.count() == len(grouped)
    kinds = {rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())}
    assert not {r["alert"] for r in grouped} & kinds  # no raw codes such as dead_stock
    page.click("#lang-switch")
    page.wait_for_selector('#page[data-page="inventory"][data-ready="1"]')
    zh_kinds = {rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())}
    assert zh_kinds and all(any("\u4e00" <= ch <= "\u9fff" for ch in k) for k in zh_kinds)
    messages = [rows.nth(i).locator("td").nth(4).inner_text() for i in range(rows.count())]
    assert sum(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in messages) >= len(messages) - sum(
        r["alert"] == "data" for r in grouped)
    page.click("#lang-switch")
