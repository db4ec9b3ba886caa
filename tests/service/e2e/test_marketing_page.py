"""The Marketing page in a real Chromium against a real `shopops serve`: curves, allocation, Qini, targeting list."""

from __future__ import annotations

import pytest

from tests.service.e2e.test_dashboard import drawn_charts, open_page, shoot, sign_in, until


def test_marketing_page_shows_the_api_numbers_in_both_languages(page, sim_server):
    sign_in(page, sim_server)
    open_page(page, sim_server, "marketing")
    until(page, "document.querySelector('#targets-table') !== null && document.querySelector('#allocation-table')"
                " !== null")
    charts = drawn_charts(page)
    assert charts.get("chart-curves", 0) > 0 and charts.get("chart-allocation", 0) > 0 and charts.get("chart-qini", 0)
    budget = sim_server.api("/api/v1/marketing/budget", role="analyst")
    bars = page.evaluate("Chart.getChart(document.getElementById('chart-allocation')).data.datasets[1].data")
    assert bars == pytest.approx([r["recommended_spend"] for r in budget["allocation"]])
    uplift = sim_server.api("/api/v1/marketing/uplift", role="analyst", limit=200)
    first = page.locator("#targets-table tbody tr").first.locator("td").nth(1).inner_text()
    assert first == uplift["targets"][0]["customer_id"]
    assert page.inner_text("#targets-count").startswith(f"{uplift['targets_total']:,}")
    shoot(page, "sim-marketing")
    page.click("#lang-switch")
    page.wait_for_selector('#page[data-page="marketing"][data-ready="1"]')
    until(page, "document.querySelector('#allocation-table') !== null")
    assert "按响应曲线分配预算" in page.inner_text("#page")
