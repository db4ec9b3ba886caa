"""The Orders page in a real headless Chromium against a real `shopops serve` on a simulated shop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from shopops import Shop
from tests.service.e2e.conftest import Server, _serve, chromium_path, page  # noqa: F401
from tests.service.e2e.test_dashboard import open_page, shoot, sign_in, until


@pytest.fixture(scope="module")
def browser(chromium_path: str):  # noqa: F811
    """This module's own browser, closed before the e2e suite starts its session one (one Playwright at a time)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def orders_server(orders_shop: Shop) -> Iterator[Server]:
    orders_shop.orders_triage(since=date(2024, 10, 1))
    yield from _serve(orders_shop)


@pytest.mark.slow  # a browser, a server and a staffing forecast: about 90 s on the shared machine
def test_the_review_queue_approves_in_one_click_in_both_languages(page, orders_server):  # noqa: F811
    sign_in(page, orders_server, role="admin")
    open_page(page, orders_server, "orders")
    assert page.inner_text('#nav a[data-page="orders"]') == "Orders"
    queue = orders_server.api("api/v1/orders/queue")
    assert queue, "the simulated shop has held orders"
    first = queue[0]["order_id"]
    rows = page.locator('[data-testid="queue-table"] tr[data-order]')
    assert rows.count() == len(queue) and rows.first.get_attribute("data-order") == first
    page.click(f'[data-testid="approve-{first}"]')
    until(page, f"!document.querySelector('tr[data-order=\"{first}\"]')")
    assert first not in [r["order_id"] for r in orders_server.api("api/v1/orders/queue")]
    assert "Decided without a person" in page.inner_text('[data-testid="or-automation"]')
    until(page, "!!document.querySelector('#chart-staffing') || !!document.querySelector('[data-testid=\"staffing-error\"]')",
          seconds=60)
    assert page.locator('[data-testid="staffing-error"]').count() == 0
    shoot(page, "sim-orders")
    page.click("#lang-switch")
    page.wait_for_selector('#page[data-ready="1"]')
    assert page.inner_text('#nav a[data-page="orders"]') == "订单"
    assert "无需人工处理" in page.inner_text('[data-testid="or-automation"]')
