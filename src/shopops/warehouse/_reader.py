"""The one read-only door to the warehouse, for every capability, surface and the facade.

The warehouse file is replaced by an atomic rename on every build. A :class:`Reader` keeps one
read-only DuckDB connection per *file identity* (device, inode, mtime, size) and opens a new one
when the identity changes; every query runs on a cursor of its own, taken from a pool of warm cursors
of that connection (opening one costs more than many small queries), so one Reader serves many
threads. Answers that only depend on the warehouse's content are cached per identity (an LRU cache),
so they are computed once per build however many callers ask; finished pages of the API (small, many,
cheap to redo) have an LRU cache of their own, so they never push the costly answers out.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import cachetools
import duckdb
import pandas as pd
import pyarrow as pa

from shopops._duck import connect, sql_str
from shopops.errors import NoWarehouseError, WarehouseError

__all__ = ["WAREHOUSE_FILE", "Identity", "Reader", "Snapshot"]

WAREHOUSE_FILE = "warehouse.duckdb"
T = TypeVar("T")
Identity = tuple[int, int, int, int]


class _Generation:
    """One opened warehouse file and the queries using it."""

    def __init__(self, path: Path, identity: Identity) -> None:
        self.identity = identity
        # Attach into a private in-memory database: DuckDB caches database instances by path, and a
        # plain connect() to the same path could hand back the instance of the file that was renamed away.
        self.con = connect()
        self.con.execute(f"ATTACH {sql_str(path)} AS wh (READ_ONLY)")
        self.con.execute("USE wh")
        self.users = 0
        self.retired = False
        self.idle: list[duckdb.DuckDBPyConnection] = []  # warm cursors, guarded by the Reader's lock

    def close_if_idle(self) -> None:
        if self.retired and self.users == 0:
            for cur in self.idle:
                cur.close()
            self.idle.clear()
            self.con.close()


class Reader:
    """Read-only queries on a data directory's warehouse, and a cache keyed by its build.

    Parameters
    ----------
    path : Path
        The warehouse file (``<data_dir>/warehouse.duckdb``).
    cache_size : int
        How many cached answers to keep (least recently used go first).
    page_cache_size : int
        How many finished pages (:meth:`cached_page`) to keep.
    pool_size : int
        How many idle cursors to keep warm for the next queries.

    Examples
    --------
    >>> reader = Reader.for_data_dir("shopops-data")                      # doctest: +SKIP
    >>> reader.sql("SELECT count(*) AS n FROM fact_order")                # doctest: +SKIP
    """

    def __init__(self, path: Path | str, cache_size: int = 256, page_cache_size: int = 2048,
                 pool_size: int = 16) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._gen: _Generation | None = None
        self._pool_size = pool_size
        self._cache: cachetools.LRUCache[tuple[Identity, Hashable], Any] = cachetools.LRUCache(maxsize=cache_size)
        self._pages: cachetools.LRUCache[tuple[Identity, Hashable], bytes] = cachetools.LRUCache(
            maxsize=page_cache_size)
        self._computing: dict[tuple[Identity, Hashable], threading.Lock] = {}

    @classmethod
    def for_data_dir(cls, data_dir: Path | str, cache_size: int = 256) -> Reader:
        """The Reader of ``<data_dir>/warehouse.duckdb``."""
        return cls(Path(data_dir) / WAREHOUSE_FILE, cache_size)

    @property
    def data_dir(self) -> Path:
        """The data directory the warehouse belongs to."""
        return self.path.parent

    # ------------------------------------------------------------------ connections
    def identity(self) -> Identity:
        """The warehouse file's identity; raises :class:`NoWarehouseError` when there is none."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise NoWarehouseError(f"no warehouse in {self.data_dir} yet: ingest a file or simulate a shop "
                                   "first") from None
        return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)

    def exists(self) -> bool:
        """Whether there is a warehouse to read."""
        return self.path.is_file()

    def _acquire(self) -> tuple[_Generation, duckdb.DuckDBPyConnection | None]:
        ident = self.identity()
        with self._lock:
            gen = self._gen
            if gen is None or gen.identity != ident:
                try:
                    fresh = _Generation(self.path, ident)
                except duckdb.Error as exc:
                    raise WarehouseError(f"cannot open the warehouse {self.path}: {exc}") from None
                if gen is not None:
                    gen.retired = True
                    gen.close_if_idle()
                self._gen = gen = fresh
            gen.users += 1
            return gen, (gen.idle.pop() if gen.idle else None)

    def _release(self, gen: _Generation, cur: duckdb.DuckDBPyConnection | None) -> None:
        with self._lock:
            gen.users -= 1
            if cur is not None:
                if not gen.retired and len(gen.idle) < self._pool_size:
                    gen.idle.append(cur)
                else:
                    cur.close()
            gen.close_if_idle()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the current warehouse: the queries run on it see one build."""
        with self._checkout() as (_gen, cur):
            yield cur

    @contextmanager
    def _checkout(self) -> Iterator[tuple[_Generation, duckdb.DuckDBPyConnection]]:
        gen, cur = self._acquire()
        healthy = False
        try:
            if cur is None:
                cur = gen.con.cursor()
                cur.execute("USE wh")
            yield gen, cur
            healthy = True
        finally:
            # A cursor whose query failed or was abandoned midway is closed, not handed to the next caller.
            if cur is not None and not healthy:
                cur.close()
                cur = None
            self._release(gen, cur)

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Several queries on one build: a warehouse swapped in meanwhile is seen only by later snapshots.

        Use it when answers must agree, such as a page and its total.
        """
        with self._checkout() as (gen, cur):
            yield Snapshot(self, cur, gen.identity)

    def close(self) -> None:
        """Close the open connection (the next query opens a new one)."""
        with self._lock:
            if self._gen is not None:
                self._gen.retired = True
                self._gen.close_if_idle()
                self._gen = None

    # ------------------------------------------------------------------ queries
    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read-only query with bound parameters; DuckDB's own pandas conversion (dates as timestamps)."""
        with self.cursor() as cur:
            return self._run(cur, query, params, lambda rel: rel.df())

    def frame(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Like :meth:`sql`, but through Arrow so that DATE columns stay ``datetime.date`` objects."""
        return self.arrow(query, params).to_pandas(date_as_object=True)

    def arrow(self, query: str, params: list[Any] | None = None) -> pa.Table:
        """Run a read-only query and return an Arrow table."""
        with self.cursor() as cur:
            # A relation (cur.sql), not an executed result: DuckDB hands its Arrow table over without a copy.
            return self._run(cur, query, params, lambda c: c.sql(query, params=params or None).to_arrow_table(),
                             execute=False)

    def _run(self, cur: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None,
             fetch: Callable[[duckdb.DuckDBPyConnection], T], *, execute: bool = True) -> T:
        try:
            return fetch(cur.execute(query, params or []) if execute else cur)
        except duckdb.CatalogException as exc:
            raise WarehouseError(f"query failed: {exc}{stale_hint(cur)}") from None
        except duckdb.Error as exc:
            raise WarehouseError(f"query failed: {exc}") from None

    def tables(self) -> list[str]:
        """Names of the warehouse's tables, sorted."""
        return list(self.frame("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh' "
                               "ORDER BY 1")["table_name"])

    def has(self, *names: str) -> bool:
        """Whether the warehouse has every one of the tables ``names``."""
        return set(names) <= set(self.tables())

    def meta(self) -> dict[str, str]:
        """What the warehouse records about its build (batches, models, engine, time); empty when nothing."""
        with self.cursor() as cur:
            try:
                return read_meta(cur)
            except duckdb.Error:
                return {}

    # ------------------------------------------------------------------ cache
    def peek(self, key: Hashable) -> Any | None:
        """The cached answer for ``key`` on the current build, or None (never computes)."""
        full = (self.identity(), key)
        with self._lock:
            return self._cache.get(full)

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per warehouse build and key; later calls are served from memory.

        Concurrent callers of the same key wait for the first one instead of all computing it. Callers
        copy cached DataFrames before changing them.
        """
        full = (self.identity(), key)
        with self._lock:
            if full in self._cache:
                return self._cache[full]  # type: ignore[no-any-return]
            gate = self._computing.setdefault(full, threading.Lock())
        with gate:
            with self._lock:
                if full in self._cache:
                    return self._cache[full]  # type: ignore[no-any-return]
            try:
                value = compute()
                with self._lock:
                    self._cache[full] = value
            finally:
                with self._lock:
                    self._computing.pop(full, None)
        return value

    def cached_page(self, key: Hashable, compute: Callable[[Snapshot], bytes]) -> bytes:
        """A finished answer (bytes) for ``key`` on the current build; ``compute(snapshot)`` on a miss.

        The answer is stored under the build its snapshot read, so a build swapped in meanwhile
        never gets an older build's page. Unlike :meth:`cached`, concurrent misses of one key each
        compute it: a page costs less than waiting for another thread.
        """
        body = self.peek_page(key)
        if body is not None:
            return body
        with self.snapshot() as snap:
            body = compute(snap)
            with self._lock:
                self._pages[(snap.identity, key)] = body
        return body

    def put_page(self, identity: Identity, key: Hashable, body: bytes) -> None:
        """Keep ``body`` as the page for ``key`` of the build ``identity`` (computed from that build)."""
        with self._lock:
            self._pages[(identity, key)] = body

    def peek_page(self, key: Hashable) -> bytes | None:
        """The cached page for ``key`` on the current build, or None (never computes)."""
        full = (self.identity(), key)
        with self._lock:
            return self._pages.get(full)


class Snapshot:
    """Queries on the one warehouse build a :meth:`Reader.snapshot` holds open."""

    def __init__(self, reader: Reader, cur: duckdb.DuckDBPyConnection, identity: Identity) -> None:
        self._reader = reader
        self._cur = cur
        #: The identity of the build this snapshot reads.
        self.identity = identity

    def arrow(self, query: str, params: list[Any] | None = None) -> pa.Table:
        """Like :meth:`Reader.arrow`, on this snapshot's build."""
        table: pa.Table = self._reader._run(
            self._cur, query, params, lambda c: c.sql(query, params=params or None).to_arrow_table(), execute=False)
        return table

    def frame(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Like :meth:`Reader.frame`, on this snapshot's build."""
        return self.arrow(query, params).to_pandas(date_as_object=True)

    def scalar(self, query: str, params: list[Any] | None = None) -> Any:
        """The first value of the first row of ``query``, on this snapshot's build."""
        rows = self._reader._run(self._cur, query, params, lambda c: c.fetchall())
        return rows[0][0] if rows else None


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """What a warehouse records about its build (batches, models, engine, time); raises if it has none."""
    return {str(k): str(v) for k, v in con.execute("SELECT key, value FROM _meta").fetchall()}


def stale_hint(con: duckdb.DuckDBPyConnection) -> str:
    """Why a table may be missing: the warehouse was built by other SQL models (another shopops)."""
    from shopops.warehouse._models import models_fingerprint

    try:
        built = read_meta(con).get("models")
    except duckdb.Error:
        return ""
    if built == models_fingerprint():
        return ""
    return ("\nThe warehouse was built by another version of shopops' SQL models; rebuild it from the lake "
            "with `shopops build` (Shop.build()).")
