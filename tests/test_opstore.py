import multiprocessing as mp
import sqlite3
from pathlib import Path

import pytest

from shopops.opstore import GroupCommit, OperationalStore, StoreVersionError
from tests.aio import run_async

DDL = """
CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS note_writer ON note (writer);
"""


def _write_many(path: str, writer: int, n: int) -> None:
    store = OperationalStore(Path(path))
    store.ensure("notes", 1, DDL)
    for i in range(n):
        with store.write() as con:
            # read-then-write inside one transaction: the count must never skip or repeat
            (count,) = con.execute("SELECT count(*) FROM note").fetchone()
            con.execute("INSERT INTO note (writer, text) VALUES (?, ?)", [writer, f"{count}:{i}"])


def test_two_processes_write_without_losing_a_row(tmp_path: Path) -> None:
    path = tmp_path / "service.sqlite"
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(str(path), w, 150)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    frame = OperationalStore(path).frame("SELECT writer, text FROM note ORDER BY id")
    assert len(frame) == 300
    assert frame["writer"].value_counts().to_dict() == {1: 150, 2: 150}
    # each insert saw every earlier row: the counts read inside the transactions are 0..299 in order
    assert [int(t.split(":")[0]) for t in frame["text"]] == list(range(300))
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = OperationalStore(tmp_path / "s.sqlite")
    store.ensure("notes", 1, DDL)
    with pytest.raises(ZeroDivisionError), store.write() as con:
        con.execute("INSERT INTO note (writer, text) VALUES (1, 'half')")
        _ = 1 / 0
    assert store.frame("SELECT count(*) AS n FROM note")["n"].iloc[0] == 0


def test_a_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    OperationalStore(path).ensure("notes", 3, DDL)
    assert OperationalStore(path).versions() == {"notes": 3}
    with pytest.raises(StoreVersionError, match=r"schema version 3.*knows up to 2"):
        OperationalStore(path).ensure("notes", 2, DDL)
    OperationalStore(path).ensure("notes", 4, DDL + "CREATE TABLE IF NOT EXISTS extra (x INTEGER);")
    assert OperationalStore(path).versions() == {"notes": 4}


def test_a_per_thread_store_reuses_one_connection_per_thread_and_still_rolls_back(tmp_path: Path) -> None:
    import threading

    store = OperationalStore(tmp_path / "s.sqlite", per_thread=True)
    store.ensure("notes", 1, DDL)
    seen: list[object] = []  # the connections themselves, kept alive so that they are told apart

    def work() -> None:
        with store.write() as a, store.read() as b:
            assert a is b  # the same connection inside one thread
            seen.append(a)
            a.execute("INSERT INTO note (writer, text) VALUES (1, 'x')")

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 2 and seen[0] is not seen[1]  # one connection per thread
    with pytest.raises(RuntimeError), store.write() as con:
        con.execute("INSERT INTO note (writer, text) VALUES (2, 'lost')")
        raise RuntimeError("half-way")
    assert store.frame("SELECT writer, count(*) AS n FROM note GROUP BY writer")["n"].tolist() == [2]
    with pytest.raises(ValueError, match="per_thread"):
        OperationalStore(tmp_path / "s.sqlite").thread_connection()


def test_the_change_token_moves_with_every_commit_from_anyone(tmp_path: Path) -> None:
    """Kept answers rely on it: a commit by this process, by a per-thread store or by another process moves it."""
    path = tmp_path / "service.sqlite"
    store = OperationalStore(path)
    assert store.change_token() is None  # no store yet
    store.ensure("notes", 1, DDL)
    first = store.change_token()
    assert first is not None and store.change_token() == first  # nothing committed, nothing moved
    store.frame("SELECT count(*) FROM note")
    assert store.change_token() == first  # reads do not move it
    with store.write() as con:
        con.execute("INSERT INTO note (writer, text) VALUES (1, 'a')")
    second = store.change_token()
    assert second != first
    threaded = OperationalStore(path, per_thread=True)
    with threaded.write() as con:
        con.execute("INSERT INTO note (writer, text) VALUES (1, 'b')")
    third = store.change_token()
    assert third != second
    with pytest.raises(RuntimeError), threaded.write() as con:  # rolled back: nothing committed
        con.execute("INSERT INTO note (writer, text) VALUES (1, 'c')")
        raise RuntimeError
    assert store.change_token() == third
    proc = mp.get_context("spawn").Process(target=_write_many, args=(str(path), 2, 1))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0 and store.change_token() != third
    path.unlink()  # a new file under the same name is watched, not the old one
    for extra in ("-wal", "-shm"):
        (tmp_path / f"service.sqlite{extra}").unlink(missing_ok=True)
    fresh = OperationalStore(path)
    fresh.ensure("notes", 1, DDL)
    token = fresh.change_token()
    with fresh.write() as con:
        con.execute("INSERT INTO note (writer, text) VALUES (3, 'd')")
    assert token is not None and fresh.change_token() != token


def test_a_group_commit_takes_concurrent_writes_in_one_transaction_and_fails_only_the_bad_one(tmp_path: Path) -> None:
    import asyncio

    store = OperationalStore(tmp_path / "s.sqlite", per_thread=True)
    store.ensure("t", 1, "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    group = GroupCommit(store)

    def put(k: int) -> int:
        def write(con: sqlite3.Connection) -> int:
            con.execute("INSERT INTO t VALUES (?, ?)", [k, f"v{k}"])
            if k == 7:  # its own insert is undone with it, the others' are not
                con.execute("INSERT INTO t VALUES (?, NULL)", [1000 + k])
            return k * 10
        return write

    async def main() -> list[object]:
        first = await asyncio.gather(*(group.run(put(k)) for k in range(50)), return_exceptions=True)
        second = await group.run(put(50))  # alone: committed at once, in a group of its own
        return [*first, second]

    results = run_async(main())
    assert isinstance(results[7], sqlite3.IntegrityError)
    assert [r for i, r in enumerate(results) if i != 7] == [k * 10 for k in range(51) if k != 7]
    assert group.groups == 2  # fifty writes, one transaction; then one more
    with store.read() as con:
        keys = [r[0] for r in con.execute("SELECT k FROM t ORDER BY k")]
    assert keys == [k for k in range(51) if k != 7]


def test_a_group_that_cannot_commit_fails_every_write_in_it(tmp_path: Path) -> None:
    import asyncio

    store = OperationalStore(tmp_path / "s.sqlite", timeout=0.2)
    store.ensure("t", 1, "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY)")
    group = GroupCommit(store)
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock throughout

    async def main() -> list[object]:
        return await asyncio.gather(*(group.run(lambda con, k=k: con.execute("INSERT INTO t VALUES (?)", [k]))
                                      for k in range(5)), return_exceptions=True)

    try:
        results = run_async(main())
    finally:
        blocker.execute("ROLLBACK")
    assert all(isinstance(r, sqlite3.OperationalError) and "locked" in str(r) for r in results)
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
