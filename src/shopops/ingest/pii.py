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

from shopops.lake import Lake

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
    For a lake on object storage the key is ``<uri>/secrets/pii.key``, created once with a conditional
    write, so that every machine writing the lake gives a person the same pseudonym.
    The file is created once with 32 random bytes and mode 0600. Losing it means new ingests
    give new pseudonyms for the same people, so back it up with the data directory.
    """
    if configured:
        return configured.encode("utf-8")
    lake = Lake(data_dir)
    if lake.store is not None:  # every writer of a shared lake must hash alike: the key lives with the lake
        return lake.shared_key("pii.key")
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

    def _pads(self) -> dict[str, bytes]:
        """HMAC's inner and outer key pads (RFC 2104), bound as query parameters, never put in SQL text."""
        # Keys longer than the block are hashed first, shorter ones padded with zeros.
        key = hashlib.sha256(self.key).digest() if len(self.key) > 64 else self.key
        block = key.ljust(64, b"\0")
        return {"pii_inner": bytes(b ^ 0x36 for b in block), "pii_outer": bytes(b ^ 0x5C for b in block)}

    @staticmethod
    def _hmac_sql(message: str) -> str:
        """SQL computing the same HMAC-SHA256 hex digest as :meth:`pseudonym` for ``message`` (VARCHAR).

        The key enters as the parameters of :meth:`_pads`: a database error quoting the query cannot
        show it.
        """
        return "sha256($pii_outer || unhex(sha256($pii_inner || encode(" + message + "))))"

    def apply(self, con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> dict[str, int]:
        """Pseudonymise ``columns`` of temp table ``table`` in place.

        Returns
        -------
        dict
            Number of distinct values pseudonymised per column.

        Notes
        -----
        Values of printable ASCII (most e-mails, phones and postcodes, Latin names) are
        normalised and hashed inside DuckDB, vectorised and on every core; the normalisation is
        then exactly Python's (only spaces can occur, casefold is lower). Other values take the
        Python path of :meth:`pseudonym`. Both give the same pseudonym for the same value.
        """
        done: dict[str, int] = {}
        for column in columns:
            ref = f'"{column}"'
            collapsed = "CASE WHEN contains(v, '  ') THEN regexp_replace(trim(v), ' +', ' ', 'g') ELSE trim(v) END"
            normalised = "regexp_replace(v, '[^0-9]+', '', 'g')" if column == "phone" else f"lower({collapsed})"
            message = f"'{column}' || chr(31) || {normalised}"
            # Only distinct values are hashed: a customer table repeats people, order lines more so.
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _pii_map AS
                    SELECT v, CASE WHEN regexp_full_match(v, '[ -~]*')
                                   THEN '{_PREFIX}' || left({self._hmac_sql(message)}, 24) END AS h
                    FROM (SELECT DISTINCT {ref} AS v FROM "{table}" WHERE {ref} IS NOT NULL)""",
                self._pads(),
            )
            others = [row[0] for row in con.execute("SELECT v FROM _pii_map WHERE h IS NULL").fetchall()]
            if others:
                con.register("_pii_others", pa.table({"v": others, "h": [self.pseudonym(column, v) for v in others]}))
                try:
                    con.execute("UPDATE _pii_map SET h = o.h FROM _pii_others AS o WHERE _pii_map.v = o.v")
                finally:
                    con.unregister("_pii_others")
            con.execute(
                f'UPDATE "{table}" SET {ref} = _pii_map.h FROM _pii_map WHERE "{table}".{ref} = _pii_map.v'
            )
            done[column] = int(con.execute("SELECT count(*) FROM _pii_map").fetchall()[0][0])
            con.execute("DROP TABLE _pii_map")
        return done
