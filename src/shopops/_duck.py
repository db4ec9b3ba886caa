"""Small DuckDB helpers shared by the modules that talk to DuckDB."""

from __future__ import annotations

from typing import Any

import duckdb


def first_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The first row of ``sql`` (fully fetched, so the connection is free for the next query)."""
    rows = con.execute(sql).fetchall()
    if not rows:
        raise LookupError(f"query returned no row: {sql[:200]}")
    return tuple(rows[0])
