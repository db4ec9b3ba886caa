"""Traversal and hostile paths reach no file outside the service's own; messages stay clear and short."""

from __future__ import annotations

import pytest

from tests.service.conftest import Service


@pytest.mark.parametrize("path", ["/static/../service.sqlite", "/static/%2e%2e/service.sqlite",
                                  "/static/..%2fservice.sqlite", "/docs-assets/../../service.sqlite",
                                  "/static/%2e%2e/%2e%2e/pyproject.toml", "/api/v1/products/..%2f..%2fservice.sqlite"])
def test_traversal_reaches_no_file(service: Service, path: str) -> None:
    response = service.get(path)
    assert response.status_code in (400, 404)
    assert b"SQLite format" not in response.content and b"[project]" not in response.content


@pytest.mark.parametrize("name", ["../../etc/passwd.csv", "..%2F..%2Fx.csv", "/abs/path.csv", "a/../../b.csv"])
def test_upload_names_never_leave_the_uploads_folder(service: Service, name: str, tmp_path) -> None:
    r = service.client.post("/api/v1/ingest", params={"filename": name, "adapter": "canonical",
                                                      "table": "order_lines"},
                            headers={"X-API-Key": service.keys["admin"]},
                            content=b"order_id,line_no,ordered_at,product_id,quantity,unit_price\n")
    assert r.status_code == 400
    folder = service.shop.data_dir / "uploads"
    assert not any(p.parent != folder for p in service.shop.data_dir.parent.rglob("*.csv") if "passwd" in p.name)
    assert str(service.shop.data_dir) not in r.json()["error"]


def test_a_huge_offset_is_a_clear_422_not_a_database_message(service: Service) -> None:
    for path in ("/api/v1/kpis", "/api/v1/products", "/api/v1/orders"):
        r = service.get(path, params={"offset": "9" * 400})
        assert r.status_code == 422, (path, r.text)
        assert "offset" in r.json()["error"] and "duckdb" not in r.text.lower()
