"""Read access to the warehouse for a long-running server.

The warehouse file is replaced by an atomic rename on every build. The server keeps one read-only
DuckDB connection per *file identity* (device, inode, mtime, size) and opens a new one when the
identity changes; every request gets its own cursor (DuckDB cursors are safe to use from one thread
each). Answers that only depend on the warehouse's content (the overview) are cached per identity, so
that many clients asking the same thing are served from memory.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from shopops._duck import connect, sql_str
from shopops.errors import WarehouseError

__all__ = ["WarehouseReader"]

T = TypeVar("T")
Identity = tuple[int, int, int, int]


class _Generation:
    """One opened warehouse file and the requests using it."""

    def __init__(self, path: Path, identity: Identity) -> None:
        self.identity = identity
        # Attach into a private in-memory database: DuckDB caches database instances by path, and a
        # plain connect() to the same path could hand back the instance of the file that was renamed away.
        self.con = connect()
        self.con.execute(f"ATTACH {sql_str(path)} AS wh (READ_ONLY)")
        self.con.execute("USE wh")
        self.users = 0
        self.retired = False

    def close_if_idle(self) -> None:
        if self.retired and self.users == 0:
            self.con.close()


class WarehouseReader:
    """Cursors on the current warehouse file, and a small cache keyed by its identity.

    Parameters
    ----------
    path : Path
        The warehouse file.
    cache_size : int
        How many cached answers to keep.
    """

    def __init__(self, path: Path, cache_size: int = 256) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._gen: _Generation | None = None
        self._cache: OrderedDict[tuple[Identity, str], Any] = OrderedDict()
        self._cache_size = cache_size
        self._computing: dict[tuple[Identity, str], threading.Lock] = {}

    def identity(self) -> Identity:
        """The warehouse file's identity; raises WarehouseError when there is none."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            from shopops.api._errors import NoWarehouseError

            raise NoWarehouseError(
                f"no warehouse in {self.path.parent}; ingest a file (POST /api/v1/ingest, `shopops ingest`) "
                "or run `shopops simulate` first") from None
        return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)

    def _acquire(self) -> _Generation:
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
            return gen

    def _release(self, gen: _Generation) -> None:
        with self._lock:
            gen.users -= 1
            gen.close_if_idle()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the current warehouse, for one request."""
        gen = self._acquire()
        try:
            cur = gen.con.cursor()
            try:
                cur.execute("USE wh")
                yield cur
            finally:
                cur.close()
        finally:
            self._release(gen)

    def frame(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read-only query with bound parameters and return a DataFrame."""
        with self.cursor() as cur:
            try:
                # Through Arrow so that DATE columns stay dates (pandas would make them midnight timestamps).
                table = cur.sql(sql, params=params or None).to_arrow_table()
                return table.to_pandas(date_as_object=True)
            except duckdb.Error as exc:
                raise WarehouseError(f"query failed: {exc}") from None

    def tables(self) -> set[str]:
        """Names of the warehouse's tables."""
        return set(self.frame("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh'")
                   ["table_name"])

    def peek(self, key: str) -> Any | None:
        """The cached answer for ``key`` on the current warehouse, or None (never computes; no blocking work)."""
        full = (self.identity(), key)
        with self._lock:
            return self._cache.get(full)

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per warehouse identity and key; later calls are served from memory.

        Concurrent callers of the same key wait for the first one instead of all computing it.
        """
        full = (self.identity(), key)
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]  # type: ignore[no-any-return]
            gate = self._computing.setdefault(full, threading.Lock())
        with gate:
            with self._lock:
                if full in self._cache:
                    return self._cache[full]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self._cache[full] = value
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
                self._computing.pop(full, None)
        return value
