"""The Live page in a real Chromium against a real `shopops serve`: an event posted over HTTP shows on the tile
without a reload, an alert appears and is acknowledged from the page, the page speaks English and Chinese."""

from __future__ import annotations

import time

import httpx

from shopops.api import KeyStore
from shopops.monitor import AlertBook, load_rules
from shopops.opstore import OperationalStore
from tests.service.e2e.test_dashboard import open_page, shoot, sign_in, until


def _tile(page, kpi: str) -> str:
    return page.inner_text(f'[data-kpi="{kpi}"]')


def test_live_page_updates_after_a_post_and_acknowledges_an_alert(page, sim_server):
    ingest = KeyStore.for_data_dir(sim_server.shop.data_dir).create("ingest", "e2e live")[1]
    sign_in(page, sim_server, role="admin")
    open_page(page, sim_server, "live")
    until(page, "document.querySelector('[data-testid=live-status]').dataset.state === 'live'")
    before = float(_tile(page, "orders").replace(",", "").replace("–", "0"))
    updates = int(page.get_attribute("#page", "data-updates") or "0")
    now = time.time()
    batch = [{"event_id": f"live-e2e-{i}", "type": "order_placed", "ts": now, "order_id": f"L{i}", "amount": 20.0}
             for i in range(7)]
    r = httpx.post(sim_server.url + "api/v1/events", json=batch, headers={"X-API-Key": ingest}, timeout=30)
    assert r.status_code == 200 and r.json()["accepted"] == 7
    until(page, f"document.querySelector('[data-kpi=orders]').textContent.replace(/,/g, '') === '{before + 7:.0f}'")
    assert int(page.get_attribute("#page", "data-updates")) > updates  # pushed, not reloaded
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

    book = AlertBook(OperationalStore.for_data_dir(sim_server.shop.data_dir))
    alert = book.open_alert(load_rules(None).rules[0], since=now, clock=now, value=0.0, expected=12.0,
                            p_value=1e-7, summary="orders dropped: 0 where 12.0 are normal", silenced=False)
    assert alert is not None
    row = f'tr[data-alert="{alert["alert_id"]}"]'
    page.wait_for_selector(row, timeout=20_000)
    assert page.get_attribute(row, "data-state") == "firing"
    shoot(page, "sim-live")
    page.click(f'button[data-ack="{alert["alert_id"]}"]')
    page.wait_for_selector(f'{row}[data-state="acknowledged"]', timeout=20_000)
    assert book.alert(alert["alert_id"])["acked_by"] == "e2e admin"

    page.click("#lang-switch")
    page.wait_for_selector('#page[data-page="live"][data-ready="1"]')
    until(page, "document.querySelector('[data-testid=live-status]').dataset.state === 'live'")
    assert "订单数" in page.inner_text('[data-testid="live-tiles"]')
    page.click("#lang-switch")  # back to English for the other tests
    page.wait_for_selector('#page[data-page="live"][data-ready="1"]')
