"""Triage decisions in the operational store: one row per order, written once, reviewed by a person."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from typing import Any

import pandas as pd

from shopops.errors import ShopopsError
from shopops.opstore import OperationalStore, utc_now

__all__ = ["DecisionConflictError", "DecisionStore", "UnknownOrderError"]

_COMPONENT, _VERSION = "orders", 1
_DDL = """
CREATE TABLE IF NOT EXISTS orders_decision (
    order_id TEXT PRIMARY KEY,
    decided_at TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    rule TEXT NOT NULL,
    flags TEXT NOT NULL,
    risk REAL,
    late_risk REAL,
    delivery_days_p50 REAL,
    delivery_days_p90 REAL,
    reasons TEXT NOT NULL,
    model_version TEXT NOT NULL,
    rules_source TEXT NOT NULL,
    ordered_at TEXT,
    review_status TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT
);
CREATE INDEX IF NOT EXISTS orders_decision_queue ON orders_decision (review_status, ordered_at);
"""
_COLUMNS = ("order_id", "decided_at", "action", "reason", "rule", "flags", "risk", "late_risk",
            "delivery_days_p50", "delivery_days_p90", "reasons", "model_version", "rules_source", "ordered_at",
            "review_status")
# A decision is written once: a re-run or a second checkout call for the same order stores nothing.
_INSERT = (f"INSERT OR IGNORE INTO orders_decision ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(_COLUMNS))})")


class DecisionConflictError(ShopopsError):
    """A review that contradicts the one already recorded for the order."""


class UnknownOrderError(ShopopsError, KeyError):
    """No triage decision is stored for the order."""


class DecisionStore:
    """The ``orders_decision`` table of a data directory's operational store."""

    def __init__(self, store: OperationalStore) -> None:
        self.store = store
        store.ensure(_COMPONENT, _VERSION, _DDL)

    def record(self, decisions: pd.DataFrame) -> int:
        """Store decisions of orders not decided before; returns how many were new (re-runs add none)."""
        if decisions.empty:
            return 0
        now = utc_now()
        frame = decisions.assign(decided_at=now, review_status=[
            "pending" if a == "hold" else "auto" for a in decisions["action"]])
        frame["ordered_at"] = pd.to_datetime(frame["ordered_at"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
        rows = [tuple(None if pd.isna(v) else v for v in row)
                for row in frame[list(_COLUMNS)].itertuples(index=False, name=None)]
        with self.store.write() as con:
            before = con.total_changes
            con.executemany(_INSERT, rows)
            return con.total_changes - before

    def record_one(self, decision: Mapping[str, Any]) -> bool:
        """Store one order's decision (a checkout's); False when the order had been decided before.

        The row :meth:`record` stores for a one-row frame, without building one: at checkout the frame
        cost more than the insert.
        """
        with self.store.write() as con:
            return self.insert_one(con, decision)

    @staticmethod
    def insert_one(con: sqlite3.Connection, decision: Mapping[str, Any]) -> bool:
        """:meth:`record_one` in the open transaction of ``con`` (the server's group commit)."""
        fields = {**decision, "decided_at": utc_now(),
                  "review_status": "pending" if decision["action"] == "hold" else "auto"}
        at = fields.get("ordered_at")
        fields["ordered_at"] = None if at is None or pd.isna(at) else pd.Timestamp(at).strftime("%Y-%m-%dT%H:%M:%S")
        row = [None if isinstance(v, float) and math.isnan(v) else v for v in (fields[c] for c in _COLUMNS)]
        cur = con.execute(_INSERT, row)
        return cur.rowcount == 1

    def decided(self, order_ids: list[str]) -> set[str]:
        """The ids among ``order_ids`` that already have a decision."""
        found: set[str] = set()
        with self.store.read() as con:
            for lo in range(0, len(order_ids), 900):
                part = order_ids[lo:lo + 900]
                cur = con.execute(f"SELECT order_id FROM orders_decision WHERE order_id IN "
                                  f"({', '.join('?' * len(part))})", part)
                found |= {r[0] for r in cur}
        return found

    def queue(self, limit: int = 100, status: str = "pending") -> pd.DataFrame:
        """Held orders waiting for a person, oldest first and, within a day, riskiest first."""
        return self.store.frame("SELECT * FROM orders_decision WHERE review_status = ? "
                                "ORDER BY substr(ordered_at, 1, 10), risk DESC, order_id LIMIT ?", [status, limit])

    def get(self, order_id: str) -> dict[str, object]:
        """The stored decision of one order."""
        with self.store.read() as con:
            cur = con.execute("SELECT * FROM orders_decision WHERE order_id = ?", [order_id])
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
        if row is None:
            raise UnknownOrderError(f"no triage decision for order {order_id!r}; run `shopops orders triage` first")
        return dict(zip(names, row, strict=True))

    def review(self, order_id: str, decision: str, user: str) -> tuple[dict[str, object], bool]:
        """Record a person's ``approve`` or ``cancel`` of a held order; returns (row, changed).

        The same review twice is accepted and changes nothing; a different one raises
        :class:`DecisionConflictError` (the API answers 409).
        """
        if decision not in ("approve", "cancel"):
            raise ShopopsError(f"decision must be approve or cancel, not {decision!r}")
        status = "approved" if decision == "approve" else "cancelled"
        with self.store.write() as con:
            con.row_factory = sqlite3.Row
            row = con.execute("SELECT review_status FROM orders_decision WHERE order_id = ?", [order_id]).fetchone()
            if row is None:
                raise UnknownOrderError(f"no triage decision for order {order_id!r}")
            current = row["review_status"]
            if current == status:
                changed = False
            elif current != "pending":
                raise DecisionConflictError(f"order {order_id!r} was already {current}; it cannot now be {status}")
            else:
                con.execute("UPDATE orders_decision SET review_status = ?, reviewed_by = ?, reviewed_at = ? "
                            "WHERE order_id = ?", [status, user, utc_now(), order_id])
                changed = True
        return self.get(order_id), changed

    def all(self) -> pd.DataFrame:
        """Every stored decision (for reports and the automation rate)."""
        return self.store.frame("SELECT * FROM orders_decision ORDER BY ordered_at, order_id")
