"""Credentials, policies and conditional lease writes, against moto's S3 server with authentication on.

localbucket checks no signature and ignores ``If-Match``; moto checks both, as AWS S3 does.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from shopops import Shop
from shopops._fs import store_for
from shopops.errors import ShopopsError
from shopops.lake import Lake

from .conftest import Keys, S3Server, use_server
from .test_lake_s3_bad_input import _source

pytest.importorskip("moto")

WRONG = "wrong-secret-never-in-messages-93ab"


def _use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: S3Server, key_id: str, secret: str) -> None:
    use_server(monkeypatch, tmp_path, server, Keys(key_id, secret), local=f"local-{key_id}")


def _objects(server: S3Server, bucket: str) -> dict[str, str]:
    """Every object of the bucket with its ETag, read with the admin's keys."""
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def test_a_wrong_secret_is_refused_and_never_shown(moto_s3: S3Server, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    bucket = moto_s3.new_bucket()
    _use(monkeypatch, tmp_path, moto_s3, moto_s3.users["writer"].access_key_id, WRONG)
    with pytest.raises(ShopopsError, match=rf"s3://{bucket}/shop: opening the bucket failed: access denied") as err:
        Shop.open(f"s3://{bucket}/shop").ingest(_source(tmp_path), table="order_lines")
    assert WRONG not in str(err.value) and "check that the AWS credentials are right" in str(err.value)
    assert _objects(moto_s3, bucket) == {}


def test_read_only_keys_change_nothing_and_still_read(moto_s3: S3Server, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    bucket = moto_s3.new_bucket()
    uri = f"s3://{bucket}/shop"
    writer, reader = moto_s3.users["writer"], moto_s3.users["reader"]
    _use(monkeypatch, tmp_path, moto_s3, writer.access_key_id, writer.secret_access_key)
    first = Shop.open(uri).ingest(_source(tmp_path), table="order_lines")
    assert first.status == "committed"
    before = _objects(moto_s3, bucket)

    _use(monkeypatch, tmp_path, moto_s3, reader.access_key_id, reader.secret_access_key)
    other = tmp_path / "more.csv"
    other.write_text("order_id,line_no,ordered_at,product_id,quantity,unit_price\n3,1,2024-03-03 09:00,SKU-2,1,5\n")
    with pytest.raises(ShopopsError, match=rf"s3://{bucket}/shop: writing lake/_lease.json failed: access denied "
                                           r"\(AccessDenied\)") as err:
        Shop.open(uri).ingest(other, table="order_lines")
    assert reader.secret_access_key not in str(err.value)
    assert _objects(moto_s3, bucket) == before  # not one object written, changed or removed
    assert [b.batch_id for b in Lake(Shop.open(uri).data_dir).batches()] == [first.batch_id]


def test_taking_over_an_expired_lease_is_won_by_one_writer(moto_s3: S3Server, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    """Two writers that both read the same expired lease: the conditional takeover lets only one through."""
    bucket = moto_s3.new_bucket()
    admin = moto_s3.keys
    _use(monkeypatch, tmp_path, moto_s3, admin.access_key_id, admin.secret_access_key)
    store = store_for(f"s3://{bucket}/shop")
    stale = json.dumps({"holder": "elsewhere pid 1", "host": "elsewhere", "pid": 1, "token": "old",
                        "expires_at": time.time() - 1}).encode()
    assert store.put("lake/_lease.json", stale, if_absent=True)
    got = store.get("lake/_lease.json")
    assert got is not None
    won = store.put("lake/_lease.json", b'{"token": "a"}', if_match=got[1])
    lost = store.put("lake/_lease.json", b'{"token": "b"}', if_match=got[1])
    assert won is not None and lost is None
    assert store.get("lake/_lease.json") == (b'{"token": "a"}', won)
    assert not store.delete_if("lake/_lease.json", got[1])  # the stale ETag removes nothing
    assert store.get("lake/_lease.json") is not None

    # And through the lake: an expired lease is replaced, the batch commits, the lease is gone after.
    store.put("lake/_lease.json", stale)
    result = Shop.open(f"s3://{bucket}/shop").ingest(_source(tmp_path), table="order_lines")
    assert result.status == "committed"
    assert "shop/lake/_lease.json" not in _objects(moto_s3, bucket)


def test_a_writer_that_lost_its_lease_leaves_the_successors(moto_s3: S3Server, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    bucket = moto_s3.new_bucket()
    admin = moto_s3.keys
    _use(monkeypatch, tmp_path, moto_s3, admin.access_key_id, admin.secret_access_key)
    shop = Shop.open(f"s3://{bucket}/shop")
    successor = json.dumps({"holder": "elsewhere pid 2", "host": "elsewhere", "pid": 2, "token": "next",
                            "expires_at": time.time() + 600}).encode()
    with Lake(shop.data_dir).writer_lock():
        # This writer stalled past its lease; another writer took the lake over meanwhile.
        moto_s3.client().put_object(Bucket=bucket, Key="shop/lake/_lease.json", Body=successor)
    assert moto_s3.client().get_object(Bucket=bucket, Key="shop/lake/_lease.json")["Body"].read() == successor
