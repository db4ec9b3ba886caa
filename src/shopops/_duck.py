"""Small DuckDB helpers shared by the modules that talk to DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from shopops.config import Settings


def first_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The first row of ``sql`` (fully fetched, so the connection is free for the next query)."""
    rows = con.execute(sql).fetchall()
    if not rows:
        raise LookupError(f"query returned no row: {sql[:200]}")
    return tuple(rows[0])


def connect(path: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for shopops.

    DuckDB's progress bar is switched off: it prints to standard output on queries longer than
    two seconds, which would corrupt CSV and JSON that shopops writes there.
    """
    con = duckdb.connect(path, read_only=read_only)
    con.execute("SET enable_progress_bar = false")
    return con


def sql_str(text: str | Path) -> str:
    """``text`` as an SQL string literal (paths included: a quote in a folder name is data)."""
    value = text.as_posix() if isinstance(text, Path) else text
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_str_list(items: list[str]) -> str:
    """A list literal of strings, e.g. the files for ``read_parquet([...])``."""
    return "[" + ", ".join(sql_str(i) for i in items) + "]"


def connect_limited(settings: Settings, data_dir: Path, path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A read-write DuckDB connection with shopops' limits (memory, threads, spill folder under ``data_dir``)."""
    spill = data_dir / "tmp"
    spill.mkdir(parents=True, exist_ok=True)
    con = connect(path)
    con.execute(f"SET memory_limit = '{settings.duckdb_memory_limit}'")
    con.execute(f"SET threads = {int(settings.duckdb_threads)}")
    con.execute(f"SET temp_directory = {sql_str(spill)}")
    con.execute("SET preserve_insertion_order = false")
    return con
