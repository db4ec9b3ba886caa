"""Property-based requests against the OpenAPI schema with an admin key: no input gives a server error.

Hypothesis, driven by schemathesis, generates valid and invalid parameters and bodies for every operation
of the schema. The operation that revokes API keys is left out: with generated ids it only meets unknown
keys, and tests/service/test_auth.py covers revoking; so is the live event stream, which never ends
(tests/monitor/test_api.py reads it). ``MAX_EXAMPLES`` per operation bounds the run
(about half a minute here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from shopops import Shop
from shopops.api import KeyStore, ServiceSettings, create_app

MAX_EXAMPLES = 10


@pytest.fixture(scope="module")
def fuzz_shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Shop, str]:
    shop = Shop.open(Path(tmp_path_factory.mktemp("fuzz")) / "shop")
    shop.simulate(seed=11, days=120, products=25, customers=600)
    return shop, KeyStore.for_data_dir(shop.data_dir).create("admin", "schemathesis")[1]


def test_no_generated_request_gets_a_server_error(fuzz_shop: tuple[Shop, str]) -> None:
    shop, key = fuzz_shop
    app = create_app(shop, ServiceSettings(max_upload_mb=0.2, uploads_per_hour=10_000))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    errors: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if op.method.upper() == "DELETE" and "/keys/" in op.path:
            continue
        if op.path.endswith("/monitor/stream"):
            continue  # Server-Sent Events never end, so a whole-body client waits for ever; tests/monitor covers it
        tried += 1

        @given(case=op.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            # the first forecast or plan request computes it (tens of seconds on this machine): no timeout
            response = case.call(headers={"X-API-Key": key}, timeout=300)
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path} {case.query}: {response.status_code} "
                              f"{response.text[:300]}")

        run()
    assert tried > 25
    assert not errors, "\n".join(errors[:20])
