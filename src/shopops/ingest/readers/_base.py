"""What every source reader shares: the reader base class, rejected lines, header checks and text decoding."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
from python_calamine import CalamineError

from shopops.errors import SourceError
from shopops.ingest import _encoding

SOURCE_ROW = "_source_row"
"""Name of the column every batch carries with the row's position in the source file."""

MAX_REJECT_TEXT = 2000
"""Rejected lines keep at most this many characters of their text."""

_LOOKS_NUMERIC = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?|\d{4}-\d{2}-\d{2}([ T][\d:.]+)?")
_EMPTY_HEADER_TEXT = "\ufeff \t\r\n"


@dataclass(frozen=True)
class RejectedLine:
    """A line (or Excel row) of a source file that could not be parsed.

    Attributes
    ----------
    line : int
        1-based physical line number in the file (CSV, JSON Lines) or sheet row number (Excel).
    text : str
        The raw text of the line, truncated to 2000 characters.
    error : str
        Why it could not be parsed, in plain words.
    """

    line: int
    text: str
    error: str


class SourceReader:
    """A source file opened for streaming; create one with :func:`open_source`.

    Attributes
    ----------
    path : Path
        The file.
    format : str
        ``'csv'``, ``'parquet'``, ``'excel'`` or ``'jsonl'``.
    encoding : str or None
        Text encoding, detected or given (CSV and JSON Lines only), e.g. ``'utf-8'``, ``'utf-8-sig'``,
        ``'utf-16'``, ``'gb18030'``, ``'cp1252'``, ``'latin-1'``.
    columns : list of str
        Source column names in file order, stripped of surrounding whitespace and a BOM.
    rejects : list of RejectedLine
        Lines that could not be parsed; filled while :meth:`batches` is iterated (and emptied when a
        new iteration starts), complete once it is exhausted.
    delimiter : str or None
        The CSV delimiter, sniffed or given (CSV only).
    sheet : str or None
        The sheet read (Excel only).
    """

    format: ClassVar[str] = ""

    def __init__(
        self,
        path: Path,
        columns: list[str],
        *,
        batch_rows: int,
        encoding: str | None = None,
        delimiter: str | None = None,
        sheet: str | None = None,
    ) -> None:
        self.path = path
        self.columns = columns
        self.encoding = encoding
        self.delimiter = delimiter
        self.sheet = sheet
        self.rejects: list[RejectedLine] = []
        self._batch_rows = batch_rows

    def __repr__(self) -> str:
        return (
            f"SourceReader(path={str(self.path)!r}, format={self.format!r}, "
            f"encoding={self.encoding!r}, columns={self.columns!r})"
        )

    @property
    def schema(self) -> pa.Schema:
        """The schema of every batch (useful when the file has no data rows)."""
        fields = [pa.field(name, pa.string()) for name in self.columns]
        return pa.schema([*fields, pa.field(SOURCE_ROW, pa.int64())])

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Stream the rows as record batches of at most ``batch_rows`` rows.

        Yields
        ------
        pyarrow.RecordBatch
            The source columns (strings, except for Parquet) plus ``_source_row`` (int64).

        Raises
        ------
        SourceError
            When the file cannot be read on (it changed, is corrupt further in, or does not decode
            in its encoding). Batches yielded before stay valid.
        """
        self.rejects.clear()
        try:
            yield from self._batches()
        except SourceError:
            raise
        except (OSError, pa.ArrowException, CalamineError, ValueError, MemoryError) as exc:
            raise SourceError(f"{self.path}: reading stopped with an error: {exc}") from exc

    def _batches(self) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError

    def _reject(self, line: int, text: str, error: str) -> None:
        self.rejects.append(RejectedLine(line, text[:MAX_REJECT_TEXT], error))



def _check_file(path: Path) -> int:
    """Size of ``path``, or a :class:`SourceError` when it is not a readable, non-empty file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SourceError(
            f"Source file not found: {path} (looked in {path.absolute().parent}). Check the path."
        ) from None
    except OSError as exc:
        raise SourceError(f"Cannot open source file {path}: {exc.strerror or exc}.") from exc
    if path.is_dir():
        raise SourceError(f"{path} is a folder, not a file. Give the path of one source file.")
    if st.st_size == 0:
        raise SourceError(f"{path} is empty (0 bytes): there is nothing to read. Check the export.")
    if not os.access(path, os.R_OK):
        raise SourceError(f"{path} cannot be read: permission denied. Check the file's permissions.")
    return st.st_size


def _check_names(path: Path, raw: list[str], where: str, *, header_row: bool = True) -> list[str]:
    """Strip header names and refuse empty, duplicate or reserved ones (and data posing as a header)."""
    names = [name.strip(_EMPTY_HEADER_TEXT) for name in raw]
    empty = [i + 1 for i, name in enumerate(names) if not name]
    if empty:
        listed = ", ".join(map(str, empty))
        raise SourceError(
            f"{path}: column(s) {listed} of the header ({where}) have no name. Give every column a "
            "name in the header, or delete the empty columns."
        )
    seen: set[str] = set()
    dupes: list[str] = []
    for name in names:
        if name in seen and name not in dupes:
            dupes.append(name)
        seen.add(name)
    if dupes:
        listed = ", ".join(repr(d) for d in dupes)
        raise SourceError(
            f"{path}: column name(s) {listed} appear more than once in the header ({where}). "
            "Rename the columns so that each name is unique."
        )
    if SOURCE_ROW in names:
        raise SourceError(
            f"{path}: the column name {SOURCE_ROW!r} ({where}) is reserved by shopops. Rename that column."
        )
    if header_row and all(_LOOKS_NUMERIC.fullmatch(name) for name in names):
        shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
        raise SourceError(
            f"{path}: there is no header line: the first row ({where}: {shown}) looks like data, not "
            "column names. Add a first row with the column names."
        )
    return names


def _resolve_encoding(path: Path, size: int, encoding: str | None) -> str:
    if encoding is None:
        return _encoding.detect(path, size, 4 << 20)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise SourceError(
            f"Unknown encoding {encoding!r} given for {path}. Use a Python codec name such as "
            "'utf-8', 'utf-8-sig', 'cp1252', 'latin-1', 'gb18030' or 'utf-16'."
        ) from None
    return encoding


def _decode_failure(path: Path, encoding: str, detected: bool) -> SourceError:
    """A :class:`SourceError` that says where ``path`` stops decoding in ``encoding`` and what to do."""
    location = _encoding.locate_decode_error(path, encoding)
    how = "detected from the start of the file" if detected else "given"
    if location is None:
        return SourceError(
            f"{path} cannot be decoded as {encoding} (the encoding {how}). "
            "Give encoding= the file's real encoding, a Python codec name such as 'cp1252' or 'latin-1'."
        )
    where = f"byte offset {location.byte_offset:,}"
    if location.line is not None:
        where = f"line {location.line:,} (byte offset {location.byte_offset:,})"
    suggestion = _encoding.guess_legacy(location.context) if location.context else "latin-1"
    if suggestion == encoding:
        suggestion = "latin-1"
    return SourceError(
        f"{path}: {where} cannot be decoded as {encoding}, the encoding {how} ({location.reason}). "
        f"The file is probably in another encoding: re-run with --encoding {suggestion} (encoding="
        f"{suggestion!r} in Python), or with the encoding the file was exported in."
    )



def _take_batch(values: list[list[str | None]], rows: list[int], names: list[str]) -> pa.RecordBatch:
    """Turn buffered string cells and their source rows into a batch, and empty the buffers."""
    arrays = [pa.array(col, type=pa.string()) for col in values]
    out = pa.RecordBatch.from_arrays([*arrays, pa.array(rows, type=pa.int64())], names=names)
    for col in values:
        col.clear()
    rows.clear()
    return out

