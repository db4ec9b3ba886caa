"""Copies of operational-store tables for the build: what the running system decided, beside the lake's facts.

A model names each operational table it reads in a header line, with the columns it needs::

    -- operational: orders_decision (order_id VARCHAR, action VARCHAR, risk DOUBLE)

and reads it as ``ops_orders_decision``. The build copies exactly those columns from the operational
store (SQLite) into the engine before the models run; a store without the table (nothing decided yet)
gives an empty table of the declared columns, so the model still builds. Only declared tables are
copied: API keys and the audit log stay where they are.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from shopops.errors import WarehouseError
from shopops.opstore import OPSTORE_FILE

__all__ = ["OperationalSource", "operational_sources", "operational_tables"]

_HEADER = re.compile(r"^--\s*operational:\s*(\w+)\s*\((.*)\)\s*$", re.MULTILINE)
_TYPES: dict[str, pa.DataType] = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(),
                                  "BOOLEAN": pa.bool_()}


@dataclass(frozen=True)
class OperationalSource:
    """One operational table a model reads: its name in the store and the declared columns."""

    table: str
    columns: tuple[tuple[str, str], ...]

    @property
    def view(self) -> str:
        """The name the models read it under."""
        return f"ops_{self.table}"

    def schema(self) -> pa.Schema:
        """The Arrow schema of the declared columns."""
        return pa.schema([(name, _TYPES[kind]) for name, kind in self.columns])


def operational_sources(sqls: list[tuple[str, str]]) -> list[OperationalSource]:
    """The operational tables declared by ``(model name, sql)`` pairs, each once."""
    found: dict[str, OperationalSource] = {}
    for model, sql in sqls:
        for table, spec in _HEADER.findall(sql):
            columns = []
            for part in spec.split(","):
                bits = part.split()
                if len(bits) != 2 or bits[1].upper() not in _TYPES:
                    raise WarehouseError(f"model {model}: operational column {part.strip()!r} of {table} must be "
                                         f"'name TYPE' with TYPE one of {', '.join(_TYPES)}")
                columns.append((bits[0], bits[1].upper()))
            source = OperationalSource(table, tuple(columns))
            if found.setdefault(table, source) != source:
                raise WarehouseError(f"model {model} declares operational table {table} with other columns "
                                     "than an earlier model")
    return list(found.values())


def operational_tables(data_dir: Path, sources: list[OperationalSource]) -> dict[str, pa.Table]:
    """The declared tables read from ``data_dir``'s operational store (empty where it has none)."""
    path = Path(data_dir) / OPSTORE_FILE
    out: dict[str, pa.Table] = {}
    for source in sources:
        rows: list[tuple[object, ...]] = []
        if path.is_file():
            # Read-only, through SQLite's URI: the build never writes to the store, and a writer's open
            # transaction does not block it (WAL readers see the last commit).
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=15.0)) as con:
                exists = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                     [source.table]).fetchone()
                if exists:
                    have = {r[1] for r in con.execute(f"PRAGMA table_info({source.table})")}
                    missing = [name for name, _ in source.columns if name not in have]
                    if missing:
                        raise WarehouseError(f"{path}: table {source.table} has no column {', '.join(missing)}; "
                                             "the operational store is of another shopops version")
                    names = ", ".join(name for name, _ in source.columns)
                    rows = con.execute(f"SELECT {names} FROM {source.table}").fetchall()
        schema = source.schema()
        try:
            out[source.view] = pa.table({name: pa.array([r[i] for r in rows], schema.field(name).type)
                                         for i, name in enumerate(schema.names)}, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise WarehouseError(f"{path}: table {source.table} holds a value that is not of its declared type: "
                                 f"{exc}") from None
    return out
