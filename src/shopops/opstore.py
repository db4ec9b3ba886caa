"""The operational store: what the running system writes and must never lose on a rebuild.

The warehouse is rebuilt from the lake and swapped in whole; API keys, the audit log, decisions,
tickets, alerts, stream offsets and the model registry index are written by the running system and
must survive every build. They live in one SQLite file beside the warehouse, in WAL mode, because
several processes write at once (the server, a stream consumer, the daily pipeline) and a
single-writer DuckDB file would lock them out.

Each capability owns its tables and declares them once with :meth:`OperationalStore.ensure`
(a component name, a schema version and the DDL); a store written by a newer schema version of a
component is refused with a clear message instead of being misread.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from shopops.errors import ShopopsError

__all__ = ["OPSTORE_FILE", "GroupCommit", "OperationalStore", "StoreVersionError", "change_token", "utc_now"]

#: The file name of the operational store inside a data directory (it started as the key store).
OPSTORE_FILE = "service.sqlite"

_COMPONENTS = """
CREATE TABLE IF NOT EXISTS store_component (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
)
"""

_ENSURED_LOCK = threading.Lock()
_ENSURED: set[tuple[str, str, int]] = set()  # (file, component, version) already checked in this process


_WRITERS_LOCK = threading.Lock()
_WRITERS: dict[str, threading.RLock] = {}  # file -> the lock this process's writers of it queue on


def _writer_lock(path: Path) -> threading.RLock:
    """The in-process lock of the store at ``path``, shared by every OperationalStore of that file.

    SQLite's own wait for the write lock is a busy handler that sleeps 1, 2, 5, … 100 ms between
    tries: with twenty server threads writing one short row each, some wait a hundred milliseconds
    for a lock that was free after one. Writers of this process queue on a Python lock instead and
    are woken the moment it is released; SQLite's wait is left to writers in other processes.
    """
    key = str(path.resolve())
    with _WRITERS_LOCK:
        lock = _WRITERS.get(key)
        if lock is None:
            lock = _WRITERS[key] = threading.RLock()
        return lock


_WATCH_LOCK = threading.Lock()
_WATCHERS: dict[str, tuple[int, sqlite3.Connection, threading.Lock]] = {}  # file -> (inode, connection, its lock)


def change_token(path: Path) -> tuple[int, int] | None:
    """A value that changes whenever anyone (any process, any connection) commits to the store at ``path``.

    The file's inode and SQLite's ``PRAGMA data_version`` on a connection that never writes: SQLite
    changes it on every commit by another connection, and reading it costs a few microseconds (it
    reads the WAL index, not the file). ``None`` while there is no store. A reader keeps an answer
    computed from the store under the token taken before computing; an equal token later means
    nothing was committed since, so the kept answer is still the answer.
    """
    key = str(path)
    try:
        inode = path.stat().st_ino
    except FileNotFoundError:
        return None
    with _WATCH_LOCK:
        found = _WATCHERS.get(key)
        if found is None or found[0] != inode:  # a new file under the same name: watch that one
            if found is not None:
                found[1].close()
            found = (inode, sqlite3.connect(key, isolation_level=None, check_same_thread=False), threading.Lock())
            _WATCHERS[key] = found
    with found[2]:
        version = int(found[1].execute("PRAGMA data_version").fetchone()[0])
    return inode, version


class StoreVersionError(ShopopsError):
    """The operational store was written by a newer version of shopops than this one."""


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds, the store's timestamp format."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class OperationalStore:
    """One SQLite file (WAL mode) shared by every writer of a data directory.

    Parameters
    ----------
    path : Path
        The SQLite file; created with its folder on first use.
    timeout : float
        Seconds a writer waits for another writer's transaction before giving up with an error.
    per_thread : bool
        Keep one connection per thread instead of one per transaction: for a writer of many small
        transactions (a chat bot storing every message), where opening the file costs more than the write.
    """

    def __init__(self, path: Path, *, timeout: float = 15.0, per_thread: bool = False) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._local: threading.local | None = threading.local() if per_thread else None
        self._write_lock = _writer_lock(self.path)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> OperationalStore:
        """The operational store of a data directory."""
        return cls(Path(data_dir) / OPSTORE_FILE)

    def change_token(self) -> tuple[int, int] | None:
        """See :func:`change_token`: changes on every commit to this store."""
        return change_token(self.path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in write()), so a writer
        # takes the lock before it reads what it will change, and two writers never deadlock on upgrade.
        con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; WAL keeps the file whole on a crash
        con.execute("PRAGMA foreign_keys=ON")
        return con

    def thread_connection(self) -> sqlite3.Connection:
        """The calling thread's long-lived connection (``per_thread`` stores only)."""
        if self._local is None:
            raise ValueError("thread_connection() needs OperationalStore(..., per_thread=True)")
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = self._connect()
        return con

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._local is not None:
            yield self.thread_connection()
            return
        con = self._connect()
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction: committed when the block ends, rolled back if it raises."""
        if not self._write_lock.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError(f"{self.path}: database is locked (another writer of this process "
                                           f"held it for over {self.timeout:g} s)")
        try:
            with self._connection() as con:
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
        finally:
            self._write_lock.release()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading (each statement sees the last committed state)."""
        with self._connection() as con:
            yield con

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """The rows of a query as a DataFrame (for reports and the warehouse build)."""
        with self.read() as con:
            cur = con.execute(sql, list(params))
            columns = [d[0] for d in cur.description or ()]
            return pd.DataFrame.from_records(cur.fetchall(), columns=columns)

    def ensure(self, component: str, version: int, ddl: str) -> None:
        """Create a component's tables (idempotent DDL) and record its schema version.

        Parameters
        ----------
        component : str
            Who owns the tables, e.g. ``"keys"``, ``"support"``.
        version : int
            The schema version this code writes. A store at an older version is upgraded by the DDL
            (write it with ``IF NOT EXISTS``); a store at a newer version is refused.
        ddl : str
            ``CREATE TABLE IF NOT EXISTS …`` / ``CREATE INDEX IF NOT EXISTS …`` statements.

        Raises
        ------
        StoreVersionError
            The store holds the component at a newer schema version than this code knows.
        """
        key = (str(self.path.resolve()), component, version)
        with _ENSURED_LOCK:
            if key in _ENSURED and self.path.exists():
                return
        with self.write() as con:
            con.execute(_COMPONENTS)
            row = con.execute("SELECT version FROM store_component WHERE component = ?", [component]).fetchone()
            if row is not None and int(row[0]) > version:
                raise StoreVersionError(
                    f"{self.path}: the {component!r} tables are at schema version {row[0]}, written by a newer "
                    f"shopops; this version knows up to {version}. Upgrade shopops to use this data directory."
                )
            for statement in _statements(ddl):
                con.execute(statement)
            if row is None or int(row[0]) < version:
                con.execute(
                    "INSERT INTO store_component VALUES (?, ?, ?) ON CONFLICT (component) "
                    "DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
                    [component, version, utc_now()],
                )
        with _ENSURED_LOCK:
            _ENSURED.add(key)

    def versions(self) -> dict[str, int]:
        """The schema version of every component in the store."""
        if not self.path.exists():
            return {}
        with self.read() as con:
            con.execute(_COMPONENTS)
            return {str(c): int(v) for c, v in con.execute("SELECT component, version FROM store_component")}


T = TypeVar("T")


class GroupCommit:
    """Short writes of many concurrent requests, committed together: one transaction per group.

    A request ``await``s :meth:`run` and gets its write's result once the transaction holding it has
    committed, so it answers only after its write is durable. Writes that arrive while a group is being
    committed form the next group: under load one thread hop and one commit serve many requests,
    alone a write commits at once. Each write runs in its own savepoint, so one that raises fails
    alone; a transaction that cannot commit fails every write of its group.

    Use it from one event loop (the server's).
    """

    def __init__(self, store: OperationalStore | Callable[[], OperationalStore]) -> None:
        # A callable is asked for the store at each commit (the key store re-creates its file if it was removed).
        self._store = store if callable(store) else (lambda: store)
        self._pending: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]] = []
        self._task: asyncio.Task[None] | None = None  # the flush under way (kept: the loop holds tasks weakly)
        self.groups = 0  # transactions committed (for tests and benchmarks)

    async def run(self, write: Callable[[sqlite3.Connection], T]) -> T:
        """The result of ``write(connection)``, once committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._pending.append((write, done))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            group, self._pending = self._pending, []
            try:
                results = await loop.run_in_executor(None, self._commit, [w for w, _ in group])
            except BaseException as exc:  # the transaction itself failed: so did every write in it
                results = [(False, exc)] * len(group)
            for (_, done), (ok, value) in zip(group, results, strict=True):
                if done.done():
                    continue
                if ok:
                    done.set_result(value)
                else:
                    done.set_exception(value)

    def _commit(self, writes: list[Callable[[sqlite3.Connection], Any]]) -> list[tuple[bool, Any]]:
        results: list[tuple[bool, Any]] = []
        with self._store().write() as con:
            for write in writes:
                con.execute("SAVEPOINT one_write")
                try:
                    results.append((True, write(con)))
                except Exception as exc:
                    con.execute("ROLLBACK TO one_write")
                    results.append((False, exc))
                con.execute("RELEASE one_write")
        self.groups += 1
        return results


def _statements(ddl: str) -> list[str]:
    """Split DDL into complete statements (sqlite3 runs one per execute inside a transaction)."""
    statements, buffer = [], ""
    for line in ddl.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
