"""Conversations, their messages, hand-off tickets and failed proofs, in the operational store.

They are written by the running bot and by agents, so they live in ``shopops.opstore`` (SQLite,
WAL) and survive every warehouse rebuild. Message texts are stored with e-mails, phone numbers and
addresses replaced by their pseudonyms (:func:`redact`).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from shopops.errors import ShopopsError
from shopops.opstore import OperationalStore, utc_now

__all__ = ["SUPPORT_SCHEMA_VERSION", "SupportStore", "TicketError", "UnknownTicketError"]

SUPPORT_SCHEMA_VERSION = 1
_DDL = """
CREATE TABLE IF NOT EXISTS support_conversation (
    conversation_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    channel TEXT,
    language TEXT,
    status TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS support_message (
    conversation_id TEXT NOT NULL REFERENCES support_conversation (conversation_id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    intent TEXT,
    confidence REAL,
    action TEXT,
    details TEXT,
    PRIMARY KEY (conversation_id, seq)
);
CREATE TABLE IF NOT EXISTS support_ticket (
    ticket_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES support_conversation (conversation_id),
    created_at TEXT NOT NULL,
    priority TEXT NOT NULL,
    reason TEXT NOT NULL,
    language TEXT,
    status TEXT NOT NULL,
    sla_due TEXT NOT NULL,
    assignee TEXT,
    closed_at TEXT
);
CREATE INDEX IF NOT EXISTS support_ticket_status ON support_ticket (status, sla_due);
CREATE TABLE IF NOT EXISTS support_proof_failure (
    scope TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS support_proof_failure_scope ON support_proof_failure (scope, at);
"""

class UnknownTicketError(ShopopsError, KeyError):
    """A ticket id that is not in the store."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


_PRIORITY_HOURS = {"urgent": 1, "high": 4, "normal": 24}


class TicketError(ShopopsError, KeyError):
    """An action the ticket's status does not allow (replying to a closed ticket, closing it twice)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SupportStore:
    """The support tables of an operational store.

    Parameters
    ----------
    store : OperationalStore
        The data directory's operational store.
    """

    def __init__(self, store: OperationalStore) -> None:
        self.store = store
        store.ensure("support", SUPPORT_SCHEMA_VERSION, _DDL)
        # The bot writes every message: opening the file per transaction costs more than the transaction,
        # so each thread keeps one connection to the same store.
        self._ops = OperationalStore(store.path, timeout=store.timeout, per_thread=True)

    def _con(self) -> sqlite3.Connection:
        return self._ops.thread_connection()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._ops.write()

    def _frame(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        cur = self._con().execute(sql, params or [])
        return pd.DataFrame.from_records(cur.fetchall(), columns=[d[0] for d in cur.description or ()])

    # ------------------------------------------------------------------ conversations
    def state(self, conversation_id: str) -> dict[str, Any] | None:
        """The saved state of a conversation (pending order, proofs as pseudonyms, ...), None when new."""
        row = self._con().execute("SELECT state, status FROM support_conversation WHERE conversation_id = ?",
                                  [conversation_id]).fetchone()
        if row is None:
            return None
        state: dict[str, Any] = json.loads(row[0])
        state["status"] = row[1]
        return state

    def record_turn(self, conversation_id: str, *, channel: str | None, language: str, state: dict[str, Any],
                    status: str, customer: dict[str, Any], bot: dict[str, Any],
                    ticket: dict[str, Any] | None = None) -> str | None:
        """Save one customer message and the bot's reply (and a hand-off ticket) in one transaction.

        Returns the new ticket's id when ``ticket`` is given (or the conversation's open ticket).
        """
        now = utc_now()
        saved = {k: v for k, v in state.items() if k != "status"}
        with self._write() as con:
            con.execute(
                "INSERT INTO support_conversation VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO "
                "UPDATE SET updated_at = excluded.updated_at, language = excluded.language, status = "
                "excluded.status, state = excluded.state",
                [conversation_id, now, now, channel, language, status, json.dumps(saved)])
            seq = con.execute("SELECT coalesce(max(seq), 0) FROM support_message WHERE conversation_id = ?",
                              [conversation_id]).fetchone()[0]
            for k, msg in enumerate((customer, bot)):
                con.execute("INSERT INTO support_message VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [conversation_id, seq + k + 1, now, msg["role"], msg["text"], msg.get("intent"),
                             msg.get("confidence"), msg.get("action"), json.dumps(msg.get("details") or {},
                                                                                  default=str)])
            if ticket is None:
                return None
            open_row = con.execute("SELECT ticket_id FROM support_ticket WHERE conversation_id = ? AND status = "
                                   "'open'", [conversation_id]).fetchone()
            if open_row is not None:
                return str(open_row[0])
            ticket_id = "T" + secrets.token_hex(5)
            hours = _PRIORITY_HOURS.get(ticket["priority"], 24)
            due = (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds")
            con.execute("INSERT INTO support_ticket VALUES (?, ?, ?, ?, ?, ?, 'open', ?, NULL, NULL)",
                        [ticket_id, conversation_id, now, ticket["priority"], ticket["reason"], language, due])
            return ticket_id

    def messages(self, conversation_id: str) -> pd.DataFrame:
        """Every message of a conversation, in order."""
        return self._frame("SELECT seq, at, role, text, intent, confidence, action, details FROM support_message "
                           "WHERE conversation_id = ? ORDER BY seq", [conversation_id])

    # ------------------------------------------------------------------ guessing limits
    def failures(self, scopes: list[str], hours: float = 24.0) -> int:
        """The most failed proofs of any of ``scopes`` (``conv:…``, ``key:…``, ``ip:…``) in the last ``hours``."""
        since = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
        con = self._con()
        counts = [con.execute("SELECT count(*) FROM support_proof_failure WHERE scope = ? AND at >= ?",
                              [s, since]).fetchone()[0] for s in scopes]
        return max(counts, default=0)

    def add_failure(self, scopes: list[str]) -> None:
        """Count one failed proof against each scope."""
        now = utc_now()
        with self._write() as con:
            con.executemany("INSERT INTO support_proof_failure VALUES (?, ?)", [[s, now] for s in scopes])

    # ------------------------------------------------------------------ tickets
    def tickets(self, status: str | None = "open", limit: int = 500) -> pd.DataFrame:
        """Tickets, most urgent first (earliest SLA due time), optionally of one ``status``."""
        where = "" if status is None else "WHERE t.status = ?"
        params: list[Any] = [] if status is None else [status]
        return self._frame(
            "SELECT t.ticket_id, t.conversation_id, t.created_at, t.priority, t.reason, t.language, t.status, "
            "t.sla_due, t.assignee, t.closed_at, (SELECT text FROM support_message m WHERE m.conversation_id = "
            "t.conversation_id AND m.role = 'customer' ORDER BY seq DESC LIMIT 1) AS last_message "
            f"FROM support_ticket t {where} ORDER BY t.status = 'open' DESC, t.sla_due, t.created_at LIMIT ?",
            [*params, limit])

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        """One ticket with its conversation so far."""
        df = self._frame("SELECT * FROM support_ticket WHERE ticket_id = ?", [ticket_id])
        if df.empty:
            raise UnknownTicketError(f"no ticket {ticket_id!r}")
        out: dict[str, Any] = df.iloc[0].to_dict()
        out["messages"] = self.messages(str(out["conversation_id"])).to_dict("records")
        return out

    def reply(self, ticket_id: str, agent: str, text: str, *, close: bool = False) -> dict[str, Any]:
        """An agent's reply on a ticket (stored in the conversation); ``close`` closes the ticket too."""
        text = text.strip()
        if not text:
            raise ShopopsError("an agent reply cannot be empty")
        now = utc_now()
        with self._write() as con:
            conversation = _open_ticket(con, ticket_id, "is {status}; only open tickets take replies")
            seq = con.execute("SELECT coalesce(max(seq), 0) FROM support_message WHERE conversation_id = ?",
                              [conversation]).fetchone()[0]
            con.execute("INSERT INTO support_message VALUES (?, ?, ?, 'agent', ?, NULL, NULL, 'reply', ?)",
                        [conversation, seq + 1, now, text, json.dumps({"agent": agent, "ticket_id": ticket_id})])
            con.execute("UPDATE support_ticket SET assignee = ? WHERE ticket_id = ?", [agent, ticket_id])
            if close:
                _close(con, ticket_id, conversation, now)
        return self.ticket(ticket_id)

    def close(self, ticket_id: str, agent: str) -> dict[str, Any]:
        """Close an open ticket."""
        now = utc_now()
        with self._write() as con:
            conversation = _open_ticket(con, ticket_id, "is already {status}")
            con.execute("UPDATE support_ticket SET assignee = coalesce(assignee, ?) WHERE ticket_id = ?",
                        [agent, ticket_id])
            _close(con, ticket_id, conversation, now)
        return self.ticket(ticket_id)

    def answered_hand_offs(self) -> pd.DataFrame:
        """Customer questions that were handed off, with the agent's first reply after them."""
        return self._frame(
            "SELECT c.conversation_id, c.text AS question, c.intent, conv.language, "
            "(SELECT a.text FROM support_message a WHERE a.conversation_id = c.conversation_id AND a.role = 'agent' "
            " AND a.seq > c.seq ORDER BY a.seq LIMIT 1) AS agent_reply "
            "FROM support_message c JOIN support_message b ON b.conversation_id = c.conversation_id "
            "AND b.seq = c.seq + 1 AND b.action = 'handoff' "
            "JOIN support_conversation conv ON conv.conversation_id = c.conversation_id WHERE c.role = 'customer'")


def _open_ticket(con: sqlite3.Connection, ticket_id: str, not_open: str) -> str:
    """The conversation of an open ticket; :class:`UnknownTicketError` or :class:`TicketError` (``not_open``)."""
    row = con.execute("SELECT conversation_id, status FROM support_ticket WHERE ticket_id = ?", [ticket_id]).fetchone()
    if row is None:
        raise UnknownTicketError(f"no ticket {ticket_id!r}")
    if row[1] != "open":
        raise TicketError(f"ticket {ticket_id} " + not_open.format(status=row[1]))
    return str(row[0])


def _close(con: sqlite3.Connection, ticket_id: str, conversation_id: str, now: str) -> None:
    con.execute("UPDATE support_ticket SET status = 'closed', closed_at = ? WHERE ticket_id = ?", [now, ticket_id])
    con.execute("UPDATE support_conversation SET status = 'closed', updated_at = ? WHERE conversation_id = ?",
                [now, conversation_id])
