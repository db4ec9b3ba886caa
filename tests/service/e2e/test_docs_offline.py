"""/docs works offline: Swagger UI is served by this process, and its policy lets the page reach nothing else."""

from __future__ import annotations

from urllib.parse import urlparse

import httpx


def test_docs_page_loads_only_from_this_server(page, sim_server):
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(urlparse(req.url).netloc))
    page.goto(sim_server.url + "docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "shopops" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag", timeout=30_000)
    assert page.locator(".opblock").count() > 20
    assert hosts == {urlparse(sim_server.url).netloc}


def test_docs_page_has_a_content_security_policy(sim_server):
    response = httpx.get(sim_server.url + "docs", timeout=30)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "cdn" not in response.text.lower() and "https://" not in response.text
