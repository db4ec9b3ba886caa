"""Pseudonymisation of personal data with a keyed hash (HMAC-SHA256).

The same person gets the same pseudonym in every table and every ingest (so joins and repeat
purchase analysis still work), but nobody without the key can recover or even test a guess of
the original value. Values are normalised first (e-mails lower-cased, phones reduced to digits)
so that trivial spelling differences do not split one person in two.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import duckdb
import pyarrow as pa

__all__ = ["PiiHasher", "load_or_create_key"]

_PREFIX = "pii_"
_DIGITS = re.compile(r"\D+")
_SPACES = re.compile(r"\s+")


def load_or_create_key(data_dir: Path, configured: str | None = None) -> bytes:
    """Return the pseudonymisation key.

    Parameters
    ----------
    data_dir : Path
        Data directory; the key file is ``secrets/pii.key`` inside it.
    configured : str or None
        A key given in settings (``SHOPOPS_PII_KEY``); it wins over the file.

    Notes
    -----
    The file is created once with 32 random bytes and mode 0600. Losing it means new ingests
    give new pseudonyms for the same people, so back it up with the data directory.
    """
    if configured:
        return configured.encode("utf-8")
    path = data_dir / "secrets" / "pii.key"
    if path.is_file():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex())
    os.replace(tmp, path)
    return key


def _normalise(column: str, value: str) -> str:
    value = _SPACES.sub(" ", value.strip())
    if column == "email":
        return value.lower()
    if column == "phone":
        return _DIGITS.sub("", value)
    return value.casefold()


class PiiHasher:
    """Replace personal-data columns of a DuckDB table by keyed hashes.

    Parameters
    ----------
    key : bytes
        The secret key.
    """

    def __init__(self, key: bytes) -> None:
        self.key = key

    def pseudonym(self, column: str, value: str) -> str:
        """The pseudonym of one value of ``column``."""
        digest = hmac.new(self.key, f"{column}\x1f{_normalise(column, value)}".encode(), hashlib.sha256)
        return _PREFIX + digest.hexdigest()[:24]

    def apply(self, con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> dict[str, int]:
        """Pseudonymise ``columns`` of temp table ``table`` in place.

        Returns
        -------
        dict
            Number of distinct values pseudonymised per column.
        """
        done: dict[str, int] = {}
        for column in columns:
            distinct = con.sql(
                f'SELECT DISTINCT "{column}" AS v FROM "{table}" WHERE "{column}" IS NOT NULL'
            ).fetchall()
            values = [row[0] for row in distinct]
            # Only distinct values are hashed: a customer table repeats people, order lines more so.
            mapping = pa.table({"v": values, "h": [self.pseudonym(column, v) for v in values]})
            con.register("_pii_map", mapping)
            try:
                con.execute(
                    f'UPDATE "{table}" SET "{column}" = _pii_map.h FROM _pii_map '
                    f'WHERE "{table}"."{column}" = _pii_map.v'
                )
            finally:
                con.unregister("_pii_map")
            done[column] = len(values)
        return done
