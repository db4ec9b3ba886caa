"""API keys (stored as salted hashes) and the audit log, in the operational store.

They live beside the warehouse, not in it: the warehouse is rebuilt and swapped atomically by every
ingest, while keys and the audit trail must survive every build.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopops.errors import ShopopsError
from shopops.opstore import OPSTORE_FILE, OperationalStore, utc_now

__all__ = ["KEYS_FILE", "ROLES", "ApiKey", "AuditEntry", "KeyStore", "Principal"]

KEYS_FILE = OPSTORE_FILE
ROLES = ("admin", "analyst", "operator", "agent", "viewer", "ingest", "chat")
_PREFIX = "sk_"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_key (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    key_id TEXT,
    key_name TEXT,
    role TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    action TEXT NOT NULL,
    status INTEGER NOT NULL,
    detail TEXT
);
"""


class UnknownKeyError(ShopopsError):
    """No API key with this id."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and role."""

    key_id: str
    name: str
    role: str


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never its secret)."""

    key_id: str
    name: str
    role: str
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class AuditEntry:
    """One recorded write: who, what, when, with which outcome."""

    seq: int
    at: str
    key_id: str | None
    key_name: str | None
    role: str | None
    method: str
    path: str
    action: str
    status: int
    detail: dict[str, Any]


def _hash(secret: str, salt: bytes) -> bytes:
    # The secret is 32 random bytes, so one salted SHA-256 is enough (no dictionary to slow down),
    # and it keeps the per-request check in microseconds.
    return hashlib.sha256(salt + secret.encode()).digest()


class KeyStore:
    """API keys and audit log in ``<data_dir>/service.sqlite``.

    Parameters
    ----------
    path : Path
        The SQLite file (created with its tables on first use).
    cache_seconds : float
        How long a verified key is trusted without looking it up again. A key revoked through this store
        stops at once; one revoked by another process (``shopops keys revoke``) within this time (at
        most twice it while a busy server's look-up is still under way).
    """

    def __init__(self, path: Path, cache_seconds: float = 2.0) -> None:
        self.path = Path(path)
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._refreshing: set[str] = set()
        self._store: OperationalStore | None = None

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> KeyStore:
        """The key store of a data directory."""
        return cls(Path(data_dir) / KEYS_FILE)

    def _ready(self) -> OperationalStore:
        # Ensured once, one connection per thread: every audited request writes here, and opening the file
        # and checking its schema cost more than the insert.
        if self._store is None or not self.path.exists():
            store = OperationalStore(self.path, timeout=10, per_thread=True)
            store.ensure("keys", 1, _SCHEMA)
            self._store = store
        return self._store

    # ------------------------------------------------------------------ keys
    def create(self, role: str, name: str) -> tuple[ApiKey, str]:
        """Create a key; returns the stored record and the secret (shown once, never stored)."""
        if role not in ROLES:
            raise ShopopsError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        name = name.strip()
        if not name or len(name) > 100:
            raise ShopopsError("key name must be 1 to 100 characters (who or what uses the key)")
        key_id = secrets.token_hex(4)
        secret = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        salt = secrets.token_bytes(16)
        record = ApiKey(key_id, name, role, utc_now(), None)
        with self._lock, self._ready().write() as con:
            con.execute("INSERT INTO api_key VALUES (?, ?, ?, ?, ?, ?, NULL)",
                        [key_id, name, role, salt, _hash(secret, salt), record.created_at])
        return record, secret

    def list_keys(self) -> list[ApiKey]:
        """All keys, revoked ones included, oldest first."""
        with self._ready().read() as con:
            rows = con.execute("SELECT key_id, name, role, created_at, revoked_at FROM api_key "
                               "ORDER BY created_at, key_id").fetchall()
        return [ApiKey(*r) for r in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key (it stays listed, marked revoked)."""
        with self._lock, self._ready().write() as con:
            cur = con.execute("UPDATE api_key SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                              [utc_now(), key_id])
            if cur.rowcount == 0:
                known = con.execute("SELECT 1 FROM api_key WHERE key_id = ?", [key_id]).fetchall()
                if not known:
                    raise UnknownKeyError(f"no API key with id {key_id!r}; `shopops keys list` shows the ids")
            self._cache.clear()
        return next(k for k in self.list_keys() if k.key_id == key_id)

    def recently_verified(self, secret: str) -> Principal | None:
        """The principal of a key verified less than ``cache_seconds`` ago (no file access), else None.

        When the time is up, the first caller gets None and looks the key up (:meth:`verify`); callers
        that come while that look-up runs keep the answer, up to twice ``cache_seconds``. Without this, a
        key used by 50 busy connections expired for all of them at once, and 50 look-ups queued in the
        thread pool every two seconds: the requests behind them waited hundreds of milliseconds.
        """
        cached = self._cache.get(secret)
        if cached is None:
            return None
        age = time.monotonic() - cached[0]
        if age < self.cache_seconds:
            return cached[1]
        with self._lock:
            if secret in self._refreshing and age < 2 * self.cache_seconds:
                return cached[1]
            self._refreshing.add(secret)
        return None

    def verify(self, secret: str) -> Principal | None:
        """The principal of a valid, unrevoked key, else None (looked up when not verified just now)."""
        cached = self._cache.get(secret)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        try:
            return self._lookup(secret)
        finally:
            with self._lock:
                self._refreshing.discard(secret)

    def _lookup(self, secret: str) -> Principal | None:
        parts = secret.split("_")
        if len(secret) > 200 or len(parts) < 3 or not secret.startswith(_PREFIX):
            return None
        key_id = parts[1]
        with self._ready().read() as con:
            row = con.execute("SELECT name, role, salt, hash FROM api_key WHERE key_id = ? AND revoked_at IS NULL",
                              [key_id]).fetchone()
        if row is None or not hmac.compare_digest(_hash(secret, row[2]), row[3]):
            with self._lock:
                self._cache.pop(secret, None)  # revoked elsewhere: no caller may keep the old answer
            return None
        principal = Principal(key_id, str(row[0]), str(row[1]))
        with self._lock:
            if len(self._cache) > 10_000:  # bounded: stale entries of many keys must not pile up
                self._cache.clear()
            self._cache[secret] = (time.monotonic(), principal)
        return principal

    # ------------------------------------------------------------------ audit
    @staticmethod
    def audit_into(con: sqlite3.Connection, principal: Principal | None, method: str, path: str, action: str,
                   status: int, detail: dict[str, Any] | None = None) -> None:
        """Record one write (or attempted write) in the open transaction of ``con`` (the server's group commit)."""
        con.execute(
            "INSERT INTO audit_log (at, key_id, key_name, role, method, path, action, status, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [utc_now(), principal.key_id if principal else None, principal.name if principal else None,
             principal.role if principal else None, method, path, action, status,
             json.dumps(detail or {}, default=str)],
        )

    def store(self) -> OperationalStore:
        """The operational store the keys and the audit log live in (schema ensured)."""
        with self._lock:
            return self._ready()

    def recent_writes(self, key_id: str, path: str, since: str) -> tuple[int, int]:
        """How many writes to ``path`` the key made since ``since`` (ISO time), and their ``bytes`` in all."""
        with self._ready().read() as con:
            row = con.execute(
                "SELECT count(*), coalesce(sum(CAST(json_extract(detail, '$.bytes') AS INTEGER)), 0) FROM audit_log "
                "WHERE key_id = ? AND path = ? AND at >= ? AND status <> 429", [key_id, path, since]).fetchone()
        return int(row[0]), int(row[1])

    def audit_log(self, limit: int = 100, offset: int = 0) -> tuple[list[AuditEntry], int]:
        """The newest audit entries first, and how many there are in all."""
        with self._ready().read() as con:
            total = int(con.execute("SELECT count(*) FROM audit_log").fetchone()[0])
            rows = con.execute("SELECT * FROM audit_log ORDER BY seq DESC LIMIT ? OFFSET ?",
                               [limit, offset]).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9] or "{}"))
                for r in rows], total
