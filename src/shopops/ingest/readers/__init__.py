r"""Streaming readers for a shop's source files: CSV/TSV, Parquet, Excel/OpenDocument and JSON Lines.

:func:`open_source` checks a file eagerly (exists, not empty, readable, header or footer sane) and
returns a :class:`SourceReader` whose :meth:`SourceReader.batches` streams Arrow record batches with
bounded memory, whatever the file size. Lines that cannot be parsed never stop a read: they are
collected in :attr:`SourceReader.rejects` (line number, raw text, reason) so they can be quarantined.

Every batch holds the source columns plus ``_source_row`` (int64):

* CSV and JSON Lines: the 1-based *physical* line of the record in the file. The header is line 1
  (or the first non-blank line), so the first record is line 2; a quoted CSV value spanning lines
  moves the following records down accordingly. Line breaks are ``\\n``, ``\\r\\n`` and a lone
  ``\\r`` for CSV, ``\\n`` for JSON Lines.
* Parquet: the 1-based row number in the file.
* Excel: the sheet's row number as Excel shows it (the header usually is row 1).

CSV, JSON Lines and Excel values are all strings exactly as written (no type inference; the
validation step casts and can report the raw text of bad values); an empty value is null.
Parquet columns keep their native types.

One private module per format (``_csv``, ``_parquet``, ``_excel``, ``_jsonl``), what they share in
``_base``, and the choice of reader in ``_open``.
"""

from __future__ import annotations

import sys
import types

from shopops.ingest.readers import _csv, _jsonl
from shopops.ingest.readers._base import MAX_REJECT_TEXT as MAX_REJECT_TEXT
from shopops.ingest.readers._base import SOURCE_ROW as SOURCE_ROW
from shopops.ingest.readers._base import RejectedLine, SourceReader
from shopops.ingest.readers._csv import LongRecordError
from shopops.ingest.readers._open import SUPPORTED_FORMATS as SUPPORTED_FORMATS
from shopops.ingest.readers._open import detect_encoding, open_source

__all__ = ["LongRecordError", "RejectedLine", "SourceReader", "detect_encoding", "open_source"]

def _limit(owner: types.ModuleType, name: str) -> property:
    """The reading limit ``name`` of the reader module ``owner``, read and set there."""
    return property(lambda _: getattr(owner, name), lambda _, value: setattr(owner, name, value))


class _ReadersPackage(types.ModuleType):
    """The readers package, whose reading limits are those of the reader modules that apply them.

    ``readers.JSONL_SCHEMA_LINES`` reads the JSON Lines reader's limit, and setting it (as tests do
    to reach a limit with a small file) changes what that reader applies, as when the readers were
    one module.
    """

    _CSV_BLOCK_SIZE = _limit(_csv, "_CSV_BLOCK_SIZE")
    JSONL_SCHEMA_LINES = _limit(_jsonl, "JSONL_SCHEMA_LINES")
    _MAX_LINE_BYTES = _limit(_jsonl, "_MAX_LINE_BYTES")


sys.modules[__name__].__class__ = _ReadersPackage
