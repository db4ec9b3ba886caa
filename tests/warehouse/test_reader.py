"""The one Reader: a missing warehouse is a clear error, a rebuild is seen at once, answers are cached per build."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from shopops.errors import NoWarehouseError, WarehouseError
from shopops.warehouse import WAREHOUSE_FILE, Reader


def _warehouse(path: Path, n: int) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(tmp)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS i, DATE '2011-01-01' + range::INT AS d FROM range(?)", [n])
    os.replace(tmp, path)  # as the build swaps a warehouse in


def test_no_warehouse_is_a_clear_error(tmp_path: Path):
    reader = Reader.for_data_dir(tmp_path)
    assert not reader.exists()
    with pytest.raises(NoWarehouseError, match=f"no warehouse in {tmp_path}"):
        reader.sql("SELECT 1")


def test_a_rebuilt_warehouse_is_read_and_the_cache_follows_the_build(tmp_path: Path):
    path = tmp_path / WAREHOUSE_FILE
    _warehouse(path, 3)
    reader = Reader(path)
    calls = []

    def count() -> int:
        calls.append(1)
        return int(reader.sql("SELECT count(*) AS n FROM t")["n"].iat[0])

    assert reader.cached("n", count) == 3 and reader.cached("n", count) == 3 and len(calls) == 1
    assert reader.peek("n") == 3
    _warehouse(path, 5)
    assert reader.peek("n") is None  # a new build: nothing cached for it yet
    assert reader.cached("n", count) == 5 and len(calls) == 2
    assert reader.tables() == ["t"] and reader.has("t") and not reader.has("t", "u")


def test_dates_as_timestamps_or_as_dates(tmp_path: Path):
    _warehouse(tmp_path / WAREHOUSE_FILE, 2)
    reader = Reader.for_data_dir(tmp_path)
    assert str(reader.sql("SELECT d FROM t ORDER BY i")["d"].dtype).startswith("datetime64")
    assert str(reader.frame("SELECT d FROM t ORDER BY i")["d"].iat[1]) == "2011-01-02"
    assert reader.arrow("SELECT i FROM t WHERE i > ?", [0]).num_rows == 1


def test_a_failed_query_is_a_warehouse_error_and_says_why(tmp_path: Path):
    _warehouse(tmp_path / WAREHOUSE_FILE, 1)
    reader = Reader.for_data_dir(tmp_path)
    with pytest.raises(WarehouseError, match="no_such_table"):
        reader.sql("SELECT * FROM no_such_table")
    assert reader.meta() == {}  # a warehouse without a build record


def test_concurrent_callers_compute_once_and_a_failure_is_not_cached(tmp_path: Path):
    _warehouse(tmp_path / WAREHOUSE_FILE, 4)
    reader = Reader.for_data_dir(tmp_path)
    calls = []
    gate = threading.Event()

    def slow() -> int:
        calls.append(1)
        gate.wait(5)
        return 4

    threads = [threading.Thread(target=reader.cached, args=("slow", slow)) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert len(calls) == 1

    def boom() -> int:
        raise WarehouseError("failed")

    with pytest.raises(WarehouseError):
        reader.cached("boom", boom)
    assert reader.cached("boom", lambda: 7) == 7  # the failure left nothing behind


def test_a_snapshot_sees_one_build_across_a_swap(tmp_path: Path):
    """A page and its total must come from the same build, even when a rebuild lands in between."""
    path = tmp_path / WAREHOUSE_FILE
    _warehouse(path, 3)
    reader = Reader(path)
    with reader.snapshot() as snap:
        assert snap.scalar("SELECT count(*) FROM t") == 3
        _warehouse(path, 5)  # a build swaps a new warehouse in
        assert len(snap.frame("SELECT * FROM t")) == 3
    with reader.snapshot() as snap:
        assert snap.scalar("SELECT count(*) FROM t") == 5


def test_paged_answers_never_mix_two_builds(tmp_path: Path):
    """Many paged requests while builds swap: every page's total matches its own rows."""
    from shopops import Shop
    from shopops.api import KeyStore, ServiceSettings
    from shopops.api._common import Ctx, Paging, paged

    path = tmp_path / WAREHOUSE_FILE
    _warehouse(path, 3)
    reader = Reader(path)
    ctx = Ctx(Shop.open(tmp_path), reader, KeyStore.for_data_dir(tmp_path), ServiceSettings())
    stop = threading.Event()

    def swap() -> None:
        n = 3
        while not stop.is_set():
            n = 8 if n == 3 else 3
            _warehouse(path, n)

    torn = []
    runner = ThreadPoolExecutor(1)
    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        for _ in range(300):
            # A loop of its own in a thread: an earlier test of the session may have left one running here.
            answer = runner.submit(asyncio.run, paged(ctx, "SELECT i FROM t", [], [], "i", Paging(100, 0, "json"),
                                                      "t")).result()
            body = json.loads(answer.body)
            if body["total"] != len(body["items"]):
                torn.append(body)
    finally:
        stop.set()
        swapper.join()
        runner.shutdown()
    assert not torn
