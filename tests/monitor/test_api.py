"""POST /events, the live stream, alerts with webhook and e-mail notifications, roles: through the real app."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shopops import Shop
from shopops.api import ROLES, KeyStore, ServiceSettings, create_app
from shopops.lake import Lake
from shopops.monitor import AlertBook, Monitor, MonitorConfig, RuleEvaluator, landed_events, load_rules
from shopops.opstore import OperationalStore

from .conftest import Hook


@pytest.fixture()
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    global T0
    T0 = time.time()  # events of this test are fresh, not older than the windows' grace period
    monkeypatch.setenv("SHOPOPS_MONITOR_LAND_EVERY_S", "0.1")
    shop = Shop.open(tmp_path / "shop")
    store = KeyStore.for_data_dir(shop.data_dir)
    keys = {role: store.create(role, f"t {role}")[1] for role in ROLES}
    app = create_app(shop, ServiceSettings())
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, keys, shop.data_dir
        monitor = getattr(app.state, "monitor", None)
        if monitor is not None:
            monitor.close()


T0 = time.time()  # one event time per test (set by `client`): an id sent again with another time is other content


def events(n: int, start: int = 0, kind: str = "order_placed") -> list[dict[str, object]]:
    return [{"event_id": f"e{i}", "type": kind, "ts": T0, "order_id": f"o{i}", "amount": 12.5}
            for i in range(start, start + n)]


def post(c: TestClient, key: str, body: object, raw: bytes | None = None):  # type: ignore[no-untyped-def]
    return c.post("/api/v1/events", content=raw if raw is not None else json.dumps(body),
                  headers={"X-API-Key": key, "Content-Type": "application/json"})


def test_ingest_role_posts_a_durable_batch_and_may_do_nothing_else(client) -> None:  # type: ignore[no-untyped-def]
    c, keys, data_dir = client
    r = post(c, keys["ingest"], events(2000))
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 2000, "duplicates": 0, "quarantined": 0, "durable": True, "problems": []}
    again = post(c, keys["ingest"], {"events": events(10, start=1995)})
    assert again.json()["accepted"] == 5 and again.json()["duplicates"] == 5
    assert c.get("/api/v1/monitor/snapshot", headers={"X-API-Key": keys["ingest"]}).status_code == 403
    assert c.get("/api/v1/overview", headers={"X-API-Key": keys["ingest"]}).status_code == 403
    assert post(c, keys["viewer"], events(1)).status_code == 403
    assert post(c, keys["operator"], events(1, start=5000)).status_code == 200
    snap = c.get("/api/v1/monitor/snapshot", headers={"X-API-Key": keys["viewer"]}).json()
    assert snap["tiles"]["orders"]["value"] == 2006.0
    assert snap["tiles"]["gmv"]["value"] == pytest.approx(2006 * 12.5)
    deadline = time.monotonic() + 20
    while landed_events(Lake(data_dir)).num_rows < 2006 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert landed_events(Lake(data_dir)).num_rows == 2006


def test_bad_batches_get_clear_errors_and_store_nothing(client) -> None:  # type: ignore[no-untyped-def]
    c, keys, data_dir = client
    key = keys["ingest"]
    r = post(c, key, None, raw=b'[{"event_id": "a", ')
    assert r.status_code == 400 and "malformed JSON at line 1" in r.json()["error"]
    r = post(c, key, {"rows": []})
    assert r.status_code == 400 and "JSON array of events" in r.json()["error"]
    r = post(c, key, events(5001))
    assert r.status_code == 413 and "at most 5,000 events" in r.json()["error"]
    r = post(c, key, {"events": events(1), "clock": 5})
    assert r.status_code == 400 and "replay clock" in r.json()["error"]
    mixed = [*events(3), {"event_id": "u", "type": "levitate", "ts": time.time()},
             {"type": "order_paid", "ts": time.time(), "order_id": "x"},
             {"event_id": "f", "type": "order_paid", "ts": time.time() + 86400, "order_id": "x"}]
    r = post(c, key, mixed)
    body = r.json()
    assert r.status_code == 200 and body["accepted"] == 3 and body["quarantined"] == 3
    assert [p["where"].rsplit("#", 1)[1] for p in body["problems"]] == ["3", "4", "5"]
    changed = events(1)
    changed[0]["amount"] = 99.0
    r = post(c, key, changed)
    assert r.json()["quarantined"] == 1 and "other content" in r.json()["problems"][0]["problem"]
    deadline = time.monotonic() + 20
    while landed_events(Lake(data_dir)).num_rows < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(landed_events(Lake(data_dir))["event_id"].to_pylist()) == ["e0", "e1", "e2"]


def test_sse_stream_sends_a_snapshot_then_the_update_after_a_post(client) -> None:  # type: ignore[no-untyped-def]
    c, keys, _data_dir = client
    post(c, keys["ingest"], events(1))
    with c.stream("GET", "/api/v1/monitor/stream", headers={"X-API-Key": keys["viewer"]}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        assert json.loads(first[6:])["tiles"]["orders"]["value"] == 1.0
        post(c, keys["ingest"], events(4, start=10))
        for line in lines:
            if line.startswith("data: ") and json.loads(line[6:])["tiles"]["orders"]["value"] == 5.0:
                break
        else:
            pytest.fail("no snapshot with the posted events")


def test_threshold_alert_fires_once_notifies_and_is_acknowledged(client, tmp_path: Path, webhook: Hook,  # type: ignore[no-untyped-def]
                                                                 smtp_server) -> None:
    smtp_port, mails = smtp_server
    webhook.fail_first = 1  # the first delivery answers 500: retried and recorded
    rules = tmp_path / "rules.toml"
    rules.write_text(f'''
[[rule]]
name = "payment failures"
kpi = "payment_failure_rate"
kind = "threshold"
op = ">"
value = 0.3
window = "1m"
severity = "critical"
group = "payments"

[notify]
webhook = ["{webhook.url}"]
smtp = {{ host = "127.0.0.1", port = {smtp_port}, sender = "shop@example.com", to = ["ops@example.com"] }}
retries = 2
backoff_s = 0.05
''')
    data_dir = tmp_path / "alerts"
    monitor = Monitor(data_dir, config=MonitorConfig(clock="replay", grace_s=0), rules=load_rules(rules),
                      transport="kafka").start()
    minute = 1_780_000_020.0 // 60 * 60
    batch = [{"event_id": f"f{i}", "type": "payment_failed", "ts": minute + i, "order_id": f"o{i}"} for i in range(5)]
    batch += [{"event_id": f"p{i}", "type": "order_paid", "ts": minute + 10 + i, "order_id": f"q{i}"} for i in range(2)]
    checked = monitor.validate(batch, source="test", clock=minute)
    monitor.land(checked, {})
    fired = monitor.advance(minute + 60)
    assert [a["rule"] for a in fired] == ["payment failures"]
    assert monitor.advance(minute + 61) == []  # the same window: nothing new
    # Next minute still failing: the open alert is not raised again (de-duplicated).
    again = [{"event_id": f"g{i}", "type": "payment_failed", "ts": minute + 60 + i, "order_id": f"r{i}"}
             for i in range(3)]
    monitor.land(monitor.validate(again, source="test", clock=minute + 60), {})
    assert monitor.advance(minute + 120) == []
    monitor.notifier.drain()
    assert len(webhook.received) == 1 and webhook.calls == 2
    assert json.loads(webhook.received[0])["alerts"][0]["severity"] == "critical"
    assert len(mails) == 1 and "payment failures" in mails[0].content.decode()  # type: ignore[attr-defined]
    book = AlertBook(OperationalStore.for_data_dir(data_dir))
    attempts = [(d["channel"], d["attempt"], d["ok"]) for d in book.deliveries()]
    assert ("webhook", 1, 0) in attempts and ("webhook", 2, 1) in attempts and ("email", 1, 1) in attempts
    alert_id = fired[0]["alert_id"]
    assert book.acknowledge(alert_id, "tester")["state"] == "acknowledged"
    # A quiet minute clears the condition: the alert resolves.
    monitor.advance(minute + 180)
    assert book.alert(alert_id)["state"] == "resolved"
    monitor.close()


def test_webhook_that_never_answers_is_retried_and_recorded_without_blocking(tmp_path: Path) -> None:
    from shopops.monitor import Notifier, NotifyConfig

    book = AlertBook(OperationalStore.for_data_dir(tmp_path))
    notifier = Notifier(NotifyConfig(webhooks=("http://127.0.0.1:9/nothing-listens",), retries=2, backoff_s=0.01,
                                     timeout_s=0.5), book)
    notifier([{"alert_id": 7, "rule": "r", "severity": "warning", "summary": "s"}])  # returns at once
    notifier.drain()
    notifier.close()
    rows = book.deliveries()
    assert [r["attempt"] for r in rows] == [1, 2, 3] and not any(r["ok"] for r in rows)
    assert "Error" in rows[0]["detail"]


def test_operator_acknowledges_and_silences_viewer_may_not(client) -> None:  # type: ignore[no-untyped-def]
    c, keys, data_dir = client
    post(c, keys["ingest"], events(1))  # starts the monitor
    book = AlertBook(OperationalStore.for_data_dir(data_dir))
    rule = load_rules(None).rules[0]
    alert = book.open_alert(rule, since=time.time(), clock=time.time(), value=0, expected=9, p_value=1e-6,
                            summary="orders dropped", silenced=False)
    assert alert is not None
    url = f"/api/v1/monitor/alerts/{alert['alert_id']}/ack"
    assert c.post(url, headers={"X-API-Key": keys["viewer"]}).status_code == 403
    r = c.post(url, headers={"X-API-Key": keys["operator"]})
    assert r.status_code == 200 and r.json()["state"] == "acknowledged" and r.json()["acked_by"] == "t operator"
    listed = c.get("/api/v1/monitor/alerts?state=open", headers={"X-API-Key": keys["viewer"]}).json()
    assert [a["state"] for a in listed] == ["acknowledged"]
    r = c.post("/api/v1/monitor/silences", json={"rule": rule.name, "minutes": 30},
               headers={"X-API-Key": keys["operator"]})
    assert r.status_code == 200
    assert book.silenced(rule.name, time.time()) and not book.silenced(rule.name, time.time() + 3600)
    r = c.post("/api/v1/monitor/silences", json={"rule": "no such rule", "minutes": 30},
               headers={"X-API-Key": keys["operator"]})
    assert r.status_code == 400 and "no rule named" in r.json()["error"]


def test_rule_evaluator_pending_period_holds_back_a_short_blip(tmp_path: Path) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text('[[rule]]\nname = "quiet"\nkpi = "orders"\nkind = "threshold"\nop = "<"\nvalue = 1\n'
                     'window = "1m"\nfor = "3m"\n')
    book = AlertBook(OperationalStore.for_data_dir(tmp_path))
    evaluator = RuleEvaluator(load_rules(rules), book, {})
    row = {"start": 0.0, "end": 60.0, "orders": 0.0, "events": 0.0}
    assert evaluator.evaluate("1m", row, [], 0) == []
    assert evaluator.evaluate("1m", {**row, "start": 60.0, "end": 120.0}, [], 0) == []
    assert evaluator.evaluate("1m", {**row, "start": 120.0, "end": 180.0, "orders": 2.0}, [], 0) == []  # cleared
    fired = []
    for m in range(3, 6):
        fired += evaluator.evaluate("1m", {**row, "start": m * 60.0, "end": (m + 1) * 60.0}, [], 0)
    assert [a["rule"] for a in fired] == ["quiet"]  # after three quiet minutes in a row, once


def test_the_service_lands_a_crashed_spool_when_it_starts(tmp_path: Path) -> None:
    shop = Shop.open(tmp_path / "shop")
    crashed = Monitor(shop.data_dir, config=MonitorConfig(land_every_s=3600)).start()
    assert crashed.submit(events(40)).accepted == 40
    crashed._stop.set()  # as kill -9 would leave it: spooled, acknowledged, not landed
    for t in crashed._threads:
        t.join(5)
    assert landed_events(Lake(shop.data_dir)).num_rows == 0
    with TestClient(create_app(shop, ServiceSettings()), raise_server_exceptions=False):
        assert landed_events(Lake(shop.data_dir)).num_rows == 40  # at start-up, before any request
