"""Every role against every endpoint: allowed (2xx) or 403; no key or a bad key: 401; every write in the
audit log."""

from __future__ import annotations

import sqlite3

import pytest

from shopops.api import KEYS_FILE, ROLE_PERMISSIONS, ROLES, KeyStore

# method, path, permission (None: any valid key)
ENDPOINTS = [
    ("GET", "/api/v1/me", None),
    ("GET", "/api/v1/capabilities", None),
    ("GET", "/api/v1/overview", "sales:read"),
    ("GET", "/api/v1/kpis?grain=week", "sales:read"),
    ("GET", "/api/v1/products", "sales:read"),
    ("GET", "/api/v1/products/{product}", "sales:read"),
    ("GET", "/api/v1/categories", "sales:read"),
    ("GET", "/api/v1/forecast", "sales:read"),
    ("GET", "/api/v1/orders", "orders:read"),
    ("GET", "/api/v1/orders/{order}", "orders:read"),
    ("GET", "/api/v1/customers", "customers:read"),
    ("GET", "/api/v1/customers/{customer}", "customers:read"),
    ("GET", "/api/v1/customers/segments", "customers:read"),
    ("GET", "/api/v1/customers/segments/summary", "customers:read"),
    ("GET", "/api/v1/customers/{customer}/recommendations", "customers:read"),
    ("GET", "/api/v1/inventory/stock", "inventory:read"),
    ("GET", "/api/v1/inventory/plan", "inventory:read"),
    ("GET", "/api/v1/inventory/alerts", "inventory:read"),
    ("GET", "/api/v1/inventory/purchase-orders", "inventory:read"),
    ("GET", "/api/v1/quality", "quality:read"),
    ("GET", "/api/v1/quality/quarantine", "quality:read"),
    ("GET", "/api/v1/ingest/runs", "quality:read"),
    ("POST", "/api/v1/ingest?filename=empty.csv", "ingest:write"),
    ("GET", "/api/v1/keys", "keys:admin"),
    ("POST", "/api/v1/keys", "keys:admin"),
    ("DELETE", "/api/v1/keys/{key}", "keys:admin"),
    ("GET", "/api/v1/audit", "keys:admin"),
]


@pytest.fixture(scope="module")
def ids(service) -> dict[str, str]:
    r = service.shop.sql
    return {
        "product": r("SELECT product_id FROM dim_product WHERE is_product ORDER BY 1 LIMIT 1").iloc[0, 0],
        "order": r("SELECT order_id FROM fact_order ORDER BY 1 LIMIT 1").iloc[0, 0],
        "customer": r("SELECT customer_id FROM dim_customer WHERE orders > 0 ORDER BY 1 LIMIT 1").iloc[0, 0],
    }


def call(service, method: str, path: str, key: str | None, ids: dict[str, str]):
    if "{key}" in path:
        victim, _ = KeyStore.for_data_dir(service.shop.data_dir).create("viewer", "to revoke")
        ids = {**ids, "key": victim.key_id}
    url = path.format(**ids)
    headers = {"X-API-Key": key} if key is not None else {}
    if method == "POST" and url.startswith("/api/v1/keys"):
        return service.client.post(url, headers=headers, json={"role": "viewer", "name": "made in a test"})
    if method == "POST":  # an empty upload: allowed roles get past auth and are told the body is empty
        return service.client.post(url, headers=headers, content=b"")
    return service.client.request(method, url, headers=headers)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_every_endpoint(service, ids, role):
    for method, path, permission in ENDPOINTS:
        r = call(service, method, path, service.keys[role], ids)
        assert r.headers["content-type"].startswith("application/json"), (method, path)
        allowed = permission is None or permission in ROLE_PERMISSIONS[role]
        if not allowed:
            assert r.status_code == 403, (role, method, path, r.text)
            assert role in r.json()["error"] and permission in r.json()["error"]
        elif method == "POST" and "ingest" in path:
            assert r.status_code == 400 and "empty" in r.json()["error"]
        else:
            assert 200 <= r.status_code < 300, (role, method, path, r.text)


@pytest.mark.parametrize("key", [None, "", "sk_deadbeef_nottherealsecret", "not-a-key", "x" * 5000])
def test_no_or_bad_key_is_401_everywhere(service, ids, key):
    for method, path, _permission in ENDPOINTS:
        r = call(service, method, path, key, ids)
        # the 5000-character key makes the header itself too big for nothing; 401 all the same
        assert r.status_code == 401, (method, path, r.text)
        assert "API key" in r.json()["error"]


def test_health_and_dashboard_need_no_key(service):
    assert service.client.get("/api/v1/health").json()["warehouse"] is True
    assert service.client.get("/").status_code == 200


def test_keys_are_stored_hashed_and_revocation_is_immediate(service):
    store = KeyStore.for_data_dir(service.shop.data_dir)
    record, secret = store.create("analyst", "hash check")
    raw = (service.shop.data_dir / KEYS_FILE).read_bytes()
    assert secret.encode() not in raw and secret.split("_", 2)[2].encode() not in raw
    assert service.get("/api/v1/me", role=None, headers={"X-API-Key": secret}).json()["role"] == "analyst"
    revoked = service.client.delete(f"/api/v1/keys/{record.key_id}", headers={"X-API-Key": service.keys["admin"]})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert service.get("/api/v1/me", role=None, headers={"X-API-Key": secret}).status_code == 401
    assert any(k.key_id == record.key_id and k.revoked_at for k in store.list_keys())


def test_a_key_revoked_by_another_process_stops_working(tmp_path):
    server_side = KeyStore(tmp_path / KEYS_FILE, cache_seconds=0)
    record, secret = server_side.create("viewer", "cli revoke")
    assert server_side.verify(secret) is not None
    KeyStore(tmp_path / KEYS_FILE).revoke(record.key_id)  # as `shopops keys revoke` would, from elsewhere
    assert server_side.verify(secret) is None
    assert server_side.verify(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None


def test_writes_are_audited_with_who_what_when(service):
    created = service.client.post("/api/v1/keys", headers={"X-API-Key": service.keys["admin"]},
                                  json={"role": "agent", "name": "audited"})
    assert created.status_code == 201
    denied = service.client.post("/api/v1/keys", headers={"X-API-Key": service.keys["viewer"]},
                                 json={"role": "admin", "name": "escalation"})
    assert denied.status_code == 403
    log = service.get("/api/v1/audit?limit=5").json()["items"]
    by_status = {e["status"]: e for e in log}
    ok, refused = by_status[201], by_status[403]
    assert ok["role"] == "admin" and ok["action"] == "POST /keys" and ok["detail"]["key_id"] == created.json()["key_id"]
    assert ok["at"].startswith("20")
    assert refused["role"] == "viewer" and refused["key_name"] == "test viewer"
    con = sqlite3.connect(service.shop.data_dir / KEYS_FILE)
    assert con.execute("SELECT count(*) FROM audit_log WHERE status = 403").fetchone()[0] >= 1


def test_an_expired_key_is_looked_up_once_while_others_keep_the_answer(tmp_path):
    """50 busy connections must not all go to the key file when the cache time is up (a stall of the server)."""
    import time

    store = KeyStore(tmp_path / KEYS_FILE, cache_seconds=0.2)
    _record, secret = store.create("viewer", "dashboard")
    first = store.verify(secret)
    assert first is not None and store.recently_verified(secret) == first
    time.sleep(0.25)
    assert store.recently_verified(secret) is None  # the first caller after expiry looks it up ...
    assert store.recently_verified(secret) == first  # ... the others keep the answer meanwhile
    assert store.verify(secret) == first  # the look-up ends: trusted again for cache_seconds
    assert store.recently_verified(secret) == first
    # Revoked by another process: the next look-up refuses it, and nobody keeps the old answer.
    KeyStore(tmp_path / KEYS_FILE).revoke(first.key_id)
    time.sleep(0.25)
    assert store.recently_verified(secret) is None
    assert store.verify(secret) is None
    assert store.recently_verified(secret) is None
    time.sleep(0.45)  # past twice the cache time no stale answer is served, even with a look-up pending
    assert store.recently_verified(secret) is None
