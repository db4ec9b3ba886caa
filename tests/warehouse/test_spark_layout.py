"""The Spark layout's bookkeeping without Spark: the build lock, pruning old builds, appending to a view."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import duckdb
import pytest

from shopops import Shop
from shopops.warehouse import Reader, build_warehouse
from shopops.warehouse._incremental import _materialise_view
from shopops.warehouse._spark import SPARK_BUILDS, prune_spark_builds


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("layout")
    Shop.open(data_dir).simulate(seed=2, days=40, products=10, customers=150)
    return data_dir


def test_a_second_build_waits_for_the_first(small_shop: Path) -> None:
    before = Reader.for_data_dir(small_shop).meta()["built_at"]
    waiting = threading.Event()
    done: list[object] = []

    def on_step(message: str) -> None:
        if message.startswith("waiting for another build"):
            waiting.set()

    def second() -> None:
        done.append(build_warehouse(small_shop, on_step=on_step))

    # The test holds the build lock as a first build would.
    with (small_shop / ".build.lock").open("a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        thread = threading.Thread(target=second)
        thread.start()
        assert waiting.wait(120), "the second build did not report that it waits"
        assert not (small_shop / "warehouse.duckdb.building").exists()
        assert not done
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    thread.join(300)
    assert done and Reader.for_data_dir(small_shop).meta()["built_at"] >= before


def test_pruning_keeps_only_the_named_builds(tmp_path: Path) -> None:
    root = tmp_path / SPARK_BUILDS
    for name in ("build=1", "build=2", "build=3", "other"):
        (root / name / "m").mkdir(parents=True)
    removed = prune_spark_builds(tmp_path, {"build=2", "build=3"})
    assert [p.name for p in removed] == ["build=1"]
    assert sorted(p.name for p in root.iterdir()) == ["build=2", "build=3", "other"]


def test_a_model_view_over_parquet_becomes_a_table_to_append_to(tmp_path: Path) -> None:
    part = tmp_path / "part-0.parquet"
    duckdb.execute(f"COPY (SELECT range AS event_id, 'x' AS kind FROM range(3)) TO '{part}'")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute(f"CREATE VIEW fact_live_event AS SELECT CAST(event_id AS BIGINT) AS event_id, kind "
                    f"FROM read_parquet(['{part}'])")
        _materialise_view(con, "fact_live_event")
        con.execute("INSERT INTO fact_live_event VALUES (3, 'y')")
        assert con.execute("SELECT count(*), max(event_id) FROM fact_live_event").fetchall() == [(4, 3)]
        assert con.execute("SELECT table_type FROM information_schema.tables "
                           "WHERE table_name = 'fact_live_event'").fetchall() == [("BASE TABLE",)]
        _materialise_view(con, "fact_live_event")  # a table stays as it is
        assert con.execute("SELECT count(*) FROM fact_live_event").fetchall() == [(4,)]
