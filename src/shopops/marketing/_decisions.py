"""Targeting lists and budgets, stored as decisions in the operational store (they must survive rebuilds)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from shopops.opstore import OperationalStore, utc_now
from shopops.result import plain

__all__ = ["list_decisions", "save_budget", "save_targeting", "targeting_list"]

_COMPONENT, _VERSION = "marketing", 1
_DDL = """
CREATE TABLE IF NOT EXISTS marketing_decision (
    decision_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('targeting', 'budget')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    model TEXT NOT NULL,
    params TEXT NOT NULL,
    metrics TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS marketing_target (
    decision_id TEXT NOT NULL REFERENCES marketing_decision (decision_id),
    customer_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    estimated_uplift REAL NOT NULL,
    reasons TEXT NOT NULL,
    PRIMARY KEY (decision_id, customer_id)
);
CREATE TABLE IF NOT EXISTS marketing_budget_line (
    decision_id TEXT NOT NULL REFERENCES marketing_decision (decision_id),
    channel TEXT NOT NULL,
    current_spend REAL NOT NULL,
    recommended_spend REAL NOT NULL,
    expected_conversions REAL NOT NULL,
    why TEXT NOT NULL,
    PRIMARY KEY (decision_id, channel)
);
"""


def _store(data_dir: Path) -> OperationalStore:
    store = OperationalStore.for_data_dir(data_dir)
    store.ensure(_COMPONENT, _VERSION, _DDL)
    return store


def _header(con: Any, kind: str, by: str, model: str, params: dict[str, Any], metrics: dict[str, Any]) -> str:
    decision_id = f"{kind}-{uuid.uuid4().hex[:12]}"
    con.execute("INSERT INTO marketing_decision VALUES (?, ?, ?, ?, ?, ?, ?)",
                [decision_id, kind, utc_now(), by, model, json.dumps(plain(params)), json.dumps(plain(metrics))])
    return decision_id


def save_targeting(data_dir: Path, targets: pd.DataFrame, *, model: str, params: dict[str, Any],
                   metrics: dict[str, Any], created_by: str = "cli") -> str:
    """Store a targeting list (all rows or none) and return its decision id."""
    store = _store(data_dir)
    rows = [(str(r.customer_id), int(r.rank), float(r.estimated_uplift), str(r.reasons))
            for r in targets.itertuples(index=False)]
    with store.write() as con:
        decision_id = _header(con, "targeting", created_by, model, params, metrics)
        con.executemany("INSERT INTO marketing_target VALUES (?, ?, ?, ?, ?)",
                        [(decision_id, *row) for row in rows])
    return decision_id


def save_budget(data_dir: Path, allocation: pd.DataFrame, *, model: str, params: dict[str, Any],
                metrics: dict[str, Any], created_by: str = "cli") -> str:
    """Store a budget allocation (all channels or none) and return its decision id."""
    store = _store(data_dir)
    rows = [(str(r.channel), float(r.current_spend), float(r.recommended_spend), float(r.expected_conversions),
             str(r.why)) for r in allocation.itertuples(index=False)]
    with store.write() as con:
        decision_id = _header(con, "budget", created_by, model, params, metrics)
        con.executemany("INSERT INTO marketing_budget_line VALUES (?, ?, ?, ?, ?, ?)",
                        [(decision_id, *row) for row in rows])
    return decision_id


def list_decisions(data_dir: Path, kind: str | None = None) -> pd.DataFrame:
    """The stored marketing decisions, newest first."""
    store = _store(data_dir)
    return store.frame("SELECT decision_id, kind, created_at, created_by, model, params, metrics FROM "
                       "marketing_decision WHERE (? IS NULL OR kind = ?) ORDER BY created_at DESC, rowid DESC",
                       [kind, kind])


def targeting_list(data_dir: Path, decision_id: str) -> pd.DataFrame:
    """The customers of a stored targeting list, in rank order."""
    store = _store(data_dir)
    return store.frame("SELECT customer_id, rank, estimated_uplift, reasons FROM marketing_target WHERE "
                       "decision_id = ? ORDER BY rank", [decision_id])
