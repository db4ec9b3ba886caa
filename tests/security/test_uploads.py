"""Uploads: duplicates and old files are not kept, each key has a write quota, refusals are audited and
messages never show server paths."""

from __future__ import annotations

import os
import time
from pathlib import Path

from shopops import Shop
from shopops.api.routers.ingest import sweep_uploads
from tests.service.conftest import make_service

BODY = (b"order_id,line_no,ordered_at,product_id,customer_id,quantity,unit_price\n"
        b"A1,1,2024-03-01 10:00,P1,C1,2,5.00\nA2,1,2024-04-02 11:00,P1,C2,3,5.00\n")
URL = "/api/v1/ingest?filename=orders.csv&adapter=canonical&table=order_lines"


def _post(svc, body: bytes, url: str = URL, role: str = "operator"):
    return svc.client.post(url, headers={"X-API-Key": svc.keys[role]}, content=body)


def _uploads(shop: Shop) -> list[Path]:
    folder = shop.data_dir / "uploads"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_duplicate_upload_is_not_kept(tmp_path: Path) -> None:
    svc = make_service(Shop.open(tmp_path / "shop"))
    with svc.client:
        assert _post(svc, BODY).json()["status"] == "committed"
        assert len(_uploads(svc.shop)) == 1
        assert _post(svc, BODY).json()["status"] == "skipped"
        assert len(_uploads(svc.shop)) == 1


def test_retention_zero_keeps_nothing_once_ingested(tmp_path: Path) -> None:
    svc = make_service(Shop.open(tmp_path / "shop"), upload_retention_days=0)
    with svc.client:
        assert _post(svc, BODY).status_code == 200
    assert _uploads(svc.shop) == []
    assert len(svc.shop.batches()) == 1


def test_sweep_removes_old_files_then_the_oldest_over_the_cap(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    now = time.time()
    for i, age_days in enumerate([40, 3, 2, 1]):
        p = folder / f"f{i}.csv"
        p.write_bytes(b"x" * 600_000)
        os.utime(p, (now - age_days * 86_400, now - age_days * 86_400))
    removed = sweep_uploads(folder, retention_days=30, max_mb=1.2, keep=folder / "f1.csv")
    assert {p.name for p in removed} == {"f0.csv", "f2.csv"}  # too old; then the oldest not kept
    assert sorted(p.name for p in folder.iterdir()) == ["f1.csv", "f3.csv"]


def test_a_key_has_an_hourly_upload_quota(tmp_path: Path) -> None:
    svc = make_service(Shop.open(tmp_path / "shop"), uploads_per_hour=2)
    with svc.client:
        assert _post(svc, BODY).status_code == 200
        assert _post(svc, BODY.replace(b"A2", b"A3")).status_code == 200
        refused = _post(svc, BODY.replace(b"A2", b"A4"))
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "uploads per hour" in refused.json()["error"]
        assert _post(svc, BODY.replace(b"A2", b"A5"), role="admin").status_code == 200  # another key


def test_a_key_has_a_daily_volume_quota(tmp_path: Path) -> None:
    svc = make_service(Shop.open(tmp_path / "shop"), upload_mb_per_day=200 / 2**20)
    with svc.client:
        assert _post(svc, BODY).status_code == 200  # 131 bytes
        refused = _post(svc, BODY.replace(b"A2", b"A3"))
        assert refused.status_code == 429 and "MB of uploads per day" in refused.json()["error"]


def test_a_declared_oversize_body_is_refused_and_audited(tmp_path: Path) -> None:
    svc = make_service(Shop.open(tmp_path / "shop"), max_upload_mb=0.001)
    with svc.client:
        r = _post(svc, b"x" * 5000)
        assert r.status_code == 413
        log = svc.get("/api/v1/audit?limit=5").json()["items"]
    entry = next(e for e in log if e["status"] == 413)
    assert entry["role"] == "operator" and entry["action"] == "POST /ingest"
    assert entry["detail"]["declared_bytes"] == "5000"


def test_upload_errors_name_the_file_not_the_server_path(tmp_path: Path) -> None:
    svc = make_service(Shop.open(tmp_path / "shop"))
    with svc.client:
        r = _post(svc, b"order_id,line_no,ordered_at,product_id,quantity,unit_price\n", url=URL)
        assert r.status_code == 400
        message = r.json()["error"]
        assert "orders.csv" in message
        assert str(tmp_path) not in message and "uploads" not in message
        bad = _post(svc, b"just,some\n1,2\n", url="/api/v1/ingest?filename=x.csv")
        assert bad.status_code == 400 and str(tmp_path) not in bad.json()["error"]
        audit = svc.get("/api/v1/audit?limit=5").json()["items"]
    assert all(str(tmp_path) not in str(a["detail"]) for a in audit)
