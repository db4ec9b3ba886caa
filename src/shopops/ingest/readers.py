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
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from shopops.errors import SourceError
from shopops.ingest import _encoding

__all__ = ["RejectedLine", "SourceReader", "detect_encoding", "open_source"]

SOURCE_ROW = "_source_row"
"""Name of the column every batch carries with the row's position in the source file."""

MAX_REJECT_TEXT = 2000
"""Rejected lines keep at most this many characters of their text."""

JSONL_SCHEMA_LINES = 10_000
"""JSON Lines columns are the union of the keys of the objects in this many first non-blank lines."""

SUPPORTED_FORMATS = (
    "CSV/TSV (.csv .tsv .txt), Parquet (.parquet .pq), Excel/OpenDocument (.xlsx .xlsm .xls .xlsb .ods), "
    "JSON Lines (.jsonl .ndjson .json)"
)

_EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".xlsb": "excel",
    ".ods": "excel",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_FORMAT_NAMES: dict[str, str] = {
    "csv": "csv",
    "tsv": "csv",
    "txt": "csv",
    "parquet": "parquet",
    "pq": "parquet",
    "excel": "excel",
    "xlsx": "excel",
    "xlsm": "excel",
    "xls": "excel",
    "xlsb": "excel",
    "ods": "excel",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "json": "jsonl",
}
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_WORDS = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_CSV_BLOCK_SIZE = 2 << 20  # bytes Arrow parses at a time (it reads a few ahead): the longest CSV record
_PROBE_BLOCK_SIZE = 1 << 20
_SNIFF_BYTES = 256 << 10
_SNIFF_LINES = 50
_MAX_BATCH_BYTES = 128 << 20  # a batch is cut early when its rows are this big
_JSONL_MAX_BATCH_TEXT = 32 << 20  # JSON text per batch (Python objects cost several times more)
_MAX_LINE_BYTES = 64 << 20  # longer JSON lines are rejected without being held in memory
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


# --------------------------------------------------------------------------------------------- helpers


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


def _rebatch(batches: Iterator[pa.RecordBatch], rows: int, max_bytes: int) -> Iterator[pa.RecordBatch]:
    """Re-cut a stream of batches into batches of ``rows`` rows (fewer when they exceed ``max_bytes``)."""
    parts: list[pa.RecordBatch] = []
    held_rows = 0
    held_bytes = 0
    for batch in batches:
        offset = 0
        while offset < batch.num_rows:
            take = batch.slice(offset, min(rows - held_rows, batch.num_rows - offset))
            offset += take.num_rows
            parts.append(take)
            held_rows += take.num_rows
            held_bytes += take.nbytes
            if held_rows >= rows or held_bytes >= max_bytes:
                yield parts[0] if len(parts) == 1 else pa.concat_batches(parts)
                parts, held_rows, held_bytes = [], 0, 0
    if parts:
        yield parts[0] if len(parts) == 1 else pa.concat_batches(parts)


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
            "Re-run with --encoding set to the file's real encoding (encoding=... in Python)."
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


def _is_decode_error(exc: BaseException) -> bool:
    return isinstance(exc, UnicodeError) or "invalid UTF8" in str(exc)


def _count_breaks(text: str) -> int:
    r"""Line breaks inside ``text`` (``\r\n``, ``\n`` or a lone ``\r`` each count once)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _breaks_per_row(arrays: list[pa.Array]) -> np.ndarray[Any, np.dtype[np.int64]] | None:
    """Line breaks inside each row's values, or None when there are none (the common, fast case)."""
    total: np.ndarray[Any, np.dtype[np.int64]] | None = None
    for arr in arrays:
        buffers = arr.buffers()
        data = buffers[2] if len(buffers) > 2 else None
        if data is None or data.size == 0:
            continue
        view = np.frombuffer(data, dtype=np.uint8)
        if view.min() > 13:  # no byte at or below '\r': no line break in this column
            continue
        lf = pc.count_substring(arr, "\n")
        cr = pc.count_substring(arr, "\r")
        crlf = pc.count_substring(arr, "\r\n")
        counts = pc.subtract(pc.add(lf, cr), crlf).fill_null(0)
        col = np.asarray(counts.to_numpy(zero_copy_only=False), dtype=np.int64)
        total = col if total is None else total + col
    return total


def _head_text(path: Path, encoding: str, nbytes: int) -> tuple[str, bool]:
    """The decoded start of a text file, and whether it is the whole file."""
    with path.open("rb") as f:
        raw = f.read(nbytes)
        complete = not f.read(1)
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    text = decoder.decode(raw, final=complete)
    return text.lstrip("\ufeff"), complete


def _split_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


# ------------------------------------------------------------------------------------------------- CSV


@dataclass
class _PendingReject:
    number: int  # Arrow's 1-based record number (header and skipped lines included)
    breaks: int
    text: str
    expected: int
    actual: int
    silent: bool  # a whitespace-only line: skipped without a reject


def _sniff_delimiter(lines: list[str]) -> str:
    """Pick the candidate delimiter that splits the header best and the data most consistently."""
    text = "\n".join(lines)
    best: tuple[float, int, int] | None = None
    chosen = ","
    for rank, delim in enumerate(_DELIMITERS):
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delim, quotechar='"') if row]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        data = rows[1:]
        consistency = sum(len(r) == width for r in data) / len(data) if data else 1.0
        score = (consistency, width, -rank)
        if best is None or score > best:
            best, chosen = score, delim
    return chosen


class _CsvReader(SourceReader):
    format = "csv"

    def __init__(
        self,
        path: Path,
        size: int,
        *,
        encoding: str | None,
        delimiter: str | None,
        batch_rows: int,
    ) -> None:
        enc = _resolve_encoding(path, size, encoding)
        self._detected = encoding is None
        head, complete = _head_text(path, enc, _SNIFF_BYTES)
        lines = _split_lines(head)
        if not complete:
            lines = lines[:-1]  # the last line may be cut
        skip = 0
        while skip < len(lines) and not lines[skip].strip():
            skip += 1
        if skip == len(lines):
            what = "only blank lines" if complete else f"only blank lines in its first {_SNIFF_BYTES:,} bytes"
            raise SourceError(
                f"{path} has no header line: it contains {what}. The first line must hold the column names."
            )
        if delimiter is None:
            if path.suffix.lower() in (".tsv", ".tab"):
                delimiter = "\t"
            else:
                delimiter = _sniff_delimiter(lines[skip : skip + _SNIFF_LINES])
        super().__init__(path, [], batch_rows=batch_rows, encoding=enc, delimiter=delimiter)
        self._skip = skip
        self._arrow_encoding = "utf8" if codecs.lookup(enc).name in ("utf-8", "utf-8-sig", "ascii") else enc
        # Let Arrow itself parse the header (quotes and all), then read every column as text.
        self._header_only = False
        try:
            probe = self._open_arrow({}, lambda row: "skip", _PROBE_BLOCK_SIZE)
            raw_names: list[str] = list(probe.schema.names)
            probe.close()
        except (pa.ArrowException, UnicodeError, OSError) as exc:
            if not (complete and "Empty CSV file" in str(exc)):
                raise self._wrap(exc, "at the header") from exc
            # Arrow cannot read a lone header line without a line break: no rows, parse it here.
            header_text = "\n".join(lines[skip:])
            raw_names = next(csv.reader(io.StringIO(header_text), delimiter=delimiter, quotechar='"'))
            self._header_only = True
        header_line = skip + 1
        self.columns = _check_names(path, raw_names, f"line {header_line}")
        self._raw_names = raw_names
        self._header_record = skip + 1  # Arrow counts the skipped blank lines as rows
        self._header_breaks = sum(_count_breaks(name) for name in raw_names)

    def _open_arrow(self, column_types: dict[str, pa.DataType], handler: Callable[[Any], str], block_size: int) -> Any:
        return pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(
                use_threads=False,  # Arrow reports rejected rows' numbers only when single-threaded
                block_size=block_size,
                skip_rows=self._skip,
                encoding=self._arrow_encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,  # keep blank lines countable; they become all-null rows
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
                check_utf8=True,
            ),
        )

    def _wrap(self, exc: BaseException, where: str) -> SourceError:
        if _is_decode_error(exc):
            assert self.encoding is not None
            return _decode_failure(self.path, self.encoding, self._detected)
        message = str(exc)
        if "straddl" in message:
            return SourceError(
                f"{self.path}: a record {where} is longer than {_CSV_BLOCK_SIZE / 2**20:g} MB. Most likely a "
                'value opens a quote (") that is never closed, so the rest of the file reads as one value. '
                'Fix the quoting in the file (a quote inside a value must be doubled: "").'
            )
        return SourceError(f"{self.path} is not a readable CSV file ({where}): {message}")

    def _batches(self) -> Iterator[pa.RecordBatch]:
        yield from _rebatch(self._csv_batches(), self._batch_rows, _MAX_BATCH_BYTES)

    def _csv_batches(self) -> Iterator[pa.RecordBatch]:
        if self._header_only:
            return
        pending: deque[_PendingReject] = deque()

        def handler(row: Any) -> str:
            text: str = row.text or ""
            number = row.number
            if number is None or number < 0:  # pragma: no cover - Arrow always knows it single-threaded
                raise SourceError(f"{self.path}: cannot tell the line number of a bad row: {text[:200]!r}")
            pending.append(
                _PendingReject(
                    number=int(number),
                    breaks=_count_breaks(text),
                    text=text,
                    expected=int(row.expected_columns),
                    actual=int(row.actual_columns),
                    silent=not text.strip(),
                )
            )
            return "skip"

        types = dict.fromkeys(self._raw_names, pa.string())
        names = [*self.columns, SOURCE_ROW]
        offset = self._header_breaks  # physical line = record number + line breaks inside earlier records
        start = self._header_record + 1  # record number of the next record not yet placed
        extra = 0  # line breaks inside the records before `start` (header excluded)
        last_line = self._header_record + self._header_breaks
        held: pa.RecordBatch | None = None
        try:
            reader = self._open_arrow(types, handler, _CSV_BLOCK_SIZE)
        except (pa.ArrowException, UnicodeError, OSError) as exc:
            raise self._wrap(exc, "at the header") from exc
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowException, UnicodeError, OSError) as exc:
                    raise self._wrap(exc, f"after line {last_line:,}") from exc
                n = batch.num_rows
                if n == 0:
                    continue
                arrays = list(batch.columns)
                row_breaks = _breaks_per_row(arrays)
                rej_numbers = np.fromiter((p.number for p in pending), dtype=np.int64, count=len(pending))
                rej_breaks = np.fromiter((p.breaks for p in pending), dtype=np.int64, count=len(pending))
                # valid rows before each pending reject (non-decreasing)
                before = rej_numbers - start - np.arange(len(pending), dtype=np.int64)
                idx = np.arange(n, dtype=np.int64)
                k = np.searchsorted(before, idx, side="right")  # rejects before each row
                records = start + idx + k
                rows_prefix = np.zeros(n + 1, dtype=np.int64)
                if row_breaks is not None:
                    np.cumsum(row_breaks, out=rows_prefix[1:])
                rej_prefix = np.zeros(len(pending) + 1, dtype=np.int64)
                np.cumsum(rej_breaks, out=rej_prefix[1:])
                lines = records + offset + extra + rows_prefix[:-1] + rej_prefix[k]
                # rejects with no row of a later batch before them are final now
                done = int(np.searchsorted(before, n, side="right"))
                for j in range(done):
                    p = pending.popleft()
                    line = int(rej_numbers[j] + offset + extra + rows_prefix[min(before[j], n)] + rej_prefix[j])
                    self._add_reject(p, line)
                start = max(int(records[-1]), int(rej_numbers[done - 1]) if done else 0) + 1
                extra += int(rows_prefix[n] + rej_prefix[done])
                last_line = int(lines[-1])
                # blank lines arrive as rows whose values are all null: drop them
                keep = pc.is_valid(arrays[0])
                for arr in arrays[1:]:
                    keep = pc.or_(keep, pc.is_valid(arr))
                source_row = pa.array(lines, type=pa.int64())
                out = pa.RecordBatch.from_arrays([*arrays, source_row], names=names)
                if pc.sum(keep).as_py() != n:
                    out = out.filter(keep)
                if out.num_rows:
                    if held is not None:
                        yield held
                    held = out  # held back: an unclosed quote can only show in the very last row
        finally:
            reader.close()
        if held is not None:
            held = self._drop_unclosed_quote(held)
            if held.num_rows:
                yield held
        for p in pending:  # bad lines after the last good row
            self._add_reject(p, p.number + offset + extra)
            extra += p.breaks
        pending.clear()

    def _drop_unclosed_quote(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Reject the last row when its last value is a quote left open up to the end of the file.

        Arrow reads such a value as everything up to the end of the file; it is told by the file ending
        in exactly ``"`` + that value (a closed quote would end in ``"`` + line break).
        """
        assert self.encoding is not None
        value = batch.column(len(self.columns) - 1)[-1].as_py()
        if not value or value[-1] not in "\r\n" or not _encoding.is_ascii_compatible(self.encoding):
            return batch
        codec = "utf-8" if self._arrow_encoding == "utf8" else self.encoding
        try:
            tail = ('"' + value).encode(codec)
        except UnicodeError:
            return batch
        with self.path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            start = size - len(tail)
            if start < 0:
                return batch
            f.seek(start)
            if f.read() != tail:
                return batch
            f.seek(max(start - 65_536, 0))
            before = f.read(start - max(start - 65_536, 0))
        line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
        line = int(batch.column(len(self.columns))[-1].as_py())
        self._reject(
            line,
            (before[line_start:] + tail).decode(codec, "replace").rstrip("\r\n"),
            'opens a quote (") that is never closed, so every line after it was read as part of one value. '
            'Close the quote; a quote inside a value must be doubled ("")',
        )
        return batch.slice(0, batch.num_rows - 1)

    def _add_reject(self, p: _PendingReject, line: int) -> None:
        if p.silent:
            return
        delim = "tab" if self.delimiter == "\t" else repr(self.delimiter)
        if p.actual > p.expected:
            error = (
                f"has {p.actual} values but the header has {p.expected} columns: a value probably "
                f"contains the delimiter ({delim}) without quotes around it"
            )
        else:
            error = (
                f"has {p.actual} value{'s' if p.actual != 1 else ''} but the header has {p.expected} "
                "columns: values are missing or the line was cut"
            )
        self._reject(line, p.text, error)


# --------------------------------------------------------------------------------------------- Parquet


def _take_batch(values: list[list[str | None]], rows: list[int], names: list[str]) -> pa.RecordBatch:
    """Turn buffered string cells and their source rows into a batch, and empty the buffers."""
    arrays = [pa.array(col, type=pa.string()) for col in values]
    out = pa.RecordBatch.from_arrays([*arrays, pa.array(rows, type=pa.int64())], names=names)
    for col in values:
        col.clear()
    rows.clear()
    return out


class _ParquetReader(SourceReader):
    format = "parquet"

    def __init__(self, path: Path, size: int, *, batch_rows: int) -> None:
        bad = (
            f"{path} is not a readable Parquet file (truncated or corrupt?). Export it again or copy "
            "the whole file once more"
        )
        try:
            pf = pq.ParquetFile(path)
            meta = pf.metadata
            schema = pf.schema_arrow
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise SourceError(f"{bad}. Details: {exc}") from exc
        try:
            # A cut-out middle keeps a valid footer: check that every column chunk lies inside the file.
            for g in range(meta.num_row_groups):
                group = meta.row_group(g)
                for c in range(group.num_columns):
                    chunk = group.column(c)
                    first = chunk.dictionary_page_offset or chunk.data_page_offset
                    if first is not None and first + chunk.total_compressed_size > size:
                        raise SourceError(
                            f"{bad}. Details: row group {g} ends at byte "
                            f"{first + chunk.total_compressed_size:,} but the file has {size:,} bytes."
                        )
        finally:
            pf.close()
        columns = _check_names(path, list(schema.names), "the Parquet schema", header_row=False)
        super().__init__(path, columns, batch_rows=batch_rows)
        self._schema = schema
        self._num_rows = meta.num_rows

    @property
    def schema(self) -> pa.Schema:
        """The schema of every batch: the file's own column types plus ``_source_row``."""
        fields = [self._schema.field(i).with_name(name) for i, name in enumerate(self.columns)]
        return pa.schema([*fields, pa.field(SOURCE_ROW, pa.int64())])

    def _batches(self) -> Iterator[pa.RecordBatch]:
        names = [*self.columns, SOURCE_ROW]
        done = 0
        try:
            pf = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{self.path} is not a readable Parquet file (truncated or corrupt?): {exc}") from exc
        try:
            it = pf.iter_batches(batch_size=self._batch_rows)
            while True:
                try:
                    batch = next(it)
                except StopIteration:
                    break
                except (pa.ArrowException, OSError, ValueError) as exc:
                    raise SourceError(
                        f"{self.path} is not a readable Parquet file (truncated or corrupt?): reading "
                        f"failed after row {done:,} of {self._num_rows:,}: {exc}. Export the file again."
                    ) from exc
                rows = pa.array(np.arange(done + 1, done + batch.num_rows + 1, dtype=np.int64))
                done += batch.num_rows
                yield pa.RecordBatch.from_arrays([*batch.columns, rows], names=names)
        finally:
            pf.close()


# ----------------------------------------------------------------------------------------- JSON Lines


class _RawFloat(float):
    """A JSON number with a fraction or exponent that remembers how it was written."""

    __slots__ = ("raw",)
    raw: str

    def __new__(cls, text: str) -> _RawFloat:
        obj = super().__new__(cls, text)
        obj.raw = text
        return obj


def _json_loads(text: str) -> Any:
    return json.loads(text, parse_float=_RawFloat, parse_constant=_RawFloat)


def _json_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, _RawFloat):
        return value.raw
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return "a number"


def _is_json_array_file(first: str) -> bool:
    """Whether a first line starting with '[' opens a JSON array document (not a JSON Lines record)."""
    try:
        value = _json_loads(first)
    except (ValueError, RecursionError):
        return True  # '[' or '[{"a": 1},' : an array spread over lines
    return isinstance(value, list) and any(isinstance(item, dict) for item in value)


class _JsonlReader(SourceReader):
    format = "jsonl"

    def __init__(self, path: Path, size: int, *, encoding: str | None, batch_rows: int) -> None:
        enc = _resolve_encoding(path, size, encoding)
        super().__init__(path, [], batch_rows=batch_rows, encoding=enc)
        self._detected = encoding is None
        keys: dict[str, None] = {}
        objects = 0
        seen = 0
        first = ""
        for _, text, _too_long in self._lines():
            if text is None or not text.strip():
                continue
            seen += 1
            first = first or text.strip()
            try:
                obj = _json_loads(text)
            except (ValueError, RecursionError):
                obj = None
            if isinstance(obj, dict):
                objects += 1
                keys.update(dict.fromkeys(obj))
            if seen >= JSONL_SCHEMA_LINES:
                break
        if not seen:
            raise SourceError(f"{path} has no data: it contains only blank lines.")
        if first.startswith("[") and _is_json_array_file(first):
            raise SourceError(
                f"{path} holds a JSON array, not JSON Lines (one JSON object per line). Convert it, "
                "e.g. with: jq -c '.[]' in.json > out.jsonl"
            )
        if not objects:
            raise SourceError(
                f"{path} is not a JSON Lines file: none of its first {seen:,} non-blank lines is a JSON "
                'object. Each line must hold one object, like {"order_id": 1, "sku": "A"}.'
            )
        self._keys = list(keys)
        self.columns = _check_names(
            path, self._keys, f"the keys of the first {JSONL_SCHEMA_LINES:,} lines", header_row=False
        )

    def _lines(self) -> Iterator[tuple[int, str | None, bool]]:
        """(line number, text or None when the line is too long, too long)."""
        assert self.encoding is not None
        encoding = self.encoding
        try:
            if _encoding.is_ascii_compatible(encoding):
                yield from self._binary_lines(encoding)
            else:
                yield from self._text_lines(encoding)
        except UnicodeError as exc:
            raise _decode_failure(self.path, encoding, self._detected) from exc

    def _binary_lines(self, encoding: str) -> Iterator[tuple[int, str | None, bool]]:
        number = 0
        with self.path.open("rb") as f:
            while raw := f.readline(_MAX_LINE_BYTES + 1):
                number += 1
                if len(raw) > _MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    head = raw[: MAX_REJECT_TEXT * 4].decode(encoding, "replace")
                    while (more := f.readline(1 << 20)) and not more.endswith(b"\n"):
                        pass
                    yield number, head, True
                    continue
                text = raw.decode(encoding)
                yield number, text.lstrip("\ufeff") if number == 1 else text, False

    def _text_lines(self, encoding: str) -> Iterator[tuple[int, str | None, bool]]:
        number = 0
        with self.path.open("r", encoding=encoding, newline="\n") as f:
            while text := f.readline(_MAX_LINE_BYTES + 1):
                number += 1
                if len(text) > _MAX_LINE_BYTES and not text.endswith("\n"):
                    while (more := f.readline(1 << 20)) and not more.endswith("\n"):
                        pass
                    yield number, text[:MAX_REJECT_TEXT], True
                    continue
                yield number, text.lstrip("\ufeff") if number == 1 else text, False

    def _batches(self) -> Iterator[pa.RecordBatch]:
        index = {key: i for i, key in enumerate(self._keys)}
        width = len(self._keys)
        names = [*self.columns, SOURCE_ROW]
        values: list[list[str | None]] = [[] for _ in range(width)]
        rows: list[int] = []
        held = 0

        for number, text, too_long in self._lines():
            if too_long:
                self._reject(number, text or "", f"is longer than {_MAX_LINE_BYTES >> 20} MB, too long for one record")
                continue
            assert text is not None
            stripped = text.strip()
            if not stripped:
                continue
            try:
                obj = _json_loads(stripped)
            except json.JSONDecodeError as exc:
                self._reject(number, stripped, f"is not valid JSON ({exc.msg} at character {exc.colno})")
                continue
            except (ValueError, RecursionError) as exc:
                self._reject(number, stripped, f"is not valid JSON ({exc})")
                continue
            if not isinstance(obj, dict):
                self._reject(number, stripped, f"is {_json_kind(obj)}, not a JSON object ({{...}})")
                continue
            unknown = [key for key in obj if key not in index]
            if unknown:
                listed = ", ".join(repr(key) for key in unknown[:5])
                self._reject(
                    number,
                    stripped,
                    f"has field(s) {listed} that none of the first {JSONL_SCHEMA_LINES:,} lines has; the "
                    "columns are fixed from those lines. Put a line with every field near the top of the "
                    "file to read them",
                )
                continue
            row: list[str | None] = [None] * width
            for key, value in obj.items():
                row[index[key]] = _json_cell(value)
            for col, value in zip(values, row, strict=True):
                col.append(value)
            rows.append(number)
            held += len(stripped)
            if len(rows) >= self._batch_rows or held >= _JSONL_MAX_BATCH_TEXT:
                yield _take_batch(values, rows, names)
                held = 0
        if rows:
            yield _take_batch(values, rows, names)


# ----------------------------------------------------------------------------------------------- Excel


def _column_letter(index: int) -> str:
    """Excel's letters for the 0-based column ``index`` (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _excel_text(value: object) -> str | None:
    """An Excel cell as text: ints without '.0', floats by repr, ISO dates and times, true/false."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


class _ExcelReader(SourceReader):
    format = "excel"

    def __init__(self, path: Path, *, sheet: str | int | None, batch_rows: int) -> None:
        try:
            workbook = CalamineWorkbook.from_path(str(path))
        except PasswordError as exc:
            raise SourceError(f"{path} is password-protected. Save an unprotected copy and read that instead.") from exc
        except (CalamineError, OSError, ValueError) as exc:
            raise SourceError(
                f"{path} is not a readable Excel/OpenDocument workbook (truncated, corrupt or another "
                f"format?): {exc}. Open it in a spreadsheet program and save it again as .xlsx."
            ) from exc
        names = list(workbook.sheet_names)
        listed = ", ".join(repr(n) for n in names)
        if not names:
            raise SourceError(f"{path} has no sheets.")
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int):
            if not -len(names) <= sheet < len(names):
                raise SourceError(
                    f"{path} has no sheet number {sheet} (counting from 0); it has {len(names)} sheet(s): {listed}."
                )
            name = names[sheet]
        elif sheet in names:
            name = sheet
        else:
            folded = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
            if len(folded) != 1:
                raise SourceError(f"{path} has no sheet named {sheet!r}. Its sheets are: {listed}.")
            name = folded[0]
        super().__init__(path, [], batch_rows=batch_rows, sheet=name)
        self._workbook = workbook  # keeps the sheet's file open while the reader lives
        try:
            sh = workbook.get_sheet_by_name(name)
        except (CalamineError, ValueError) as exc:
            raise SourceError(f"{path}: sheet {name!r} cannot be read: {exc}") from exc
        rows = sh.iter_rows()
        header: list[str | None] | None = None
        header_index = 0
        for index, cells in enumerate(rows):
            texts = [_excel_text(c) for c in cells]
            if any(t is not None and t.strip() for t in texts):
                header, header_index = texts, index
                break
        if header is None:
            raise SourceError(
                f"{path}: sheet {name!r} is empty: no header row with column names. "
                f"Pick another sheet with --sheet (sheets: {listed})."
            )
        width = max(i for i, t in enumerate(header) if t is not None and t.strip()) + 1
        self._width = width
        start = sh.start or (0, 0)
        # python-calamine 0.9 yields the sheet's leading empty rows too (row index == sheet row);
        # the header, the first non-empty row, is the sheet's first used row.
        self._row_shift = 0 if header_index >= start[0] else start[0]
        self._first_col = start[1]
        self._header_index = header_index
        self._sh = sh
        self.columns = _check_names(
            path,
            [t or "" for t in header[:width]],
            f"sheet {name!r}, row {header_index + self._row_shift + 1}",
        )

    def _batches(self) -> Iterator[pa.RecordBatch]:
        width = self._width
        names = [*self.columns, SOURCE_ROW]
        values: list[list[str | None]] = [[] for _ in range(width)]
        rows: list[int] = []

        for index, cells in enumerate(self._sh.iter_rows()):
            if index <= self._header_index:
                continue
            texts = [_excel_text(c) for c in cells]
            row_number = index + self._row_shift + 1
            overflow = [i for i in range(width, len(texts)) if texts[i] is not None]
            if overflow:
                letter = _column_letter(self._first_col + overflow[0])
                last = max(i for i, t in enumerate(texts) if t is not None)
                self._reject(
                    row_number,
                    "\t".join(t or "" for t in texts[: last + 1]),
                    f"has a value in column {letter}, right of the last named column: give that column "
                    "a name in the header row, or delete the stray value",
                )
                continue
            if all(t is None for t in texts):
                continue
            texts += [None] * (width - len(texts))
            for col, value in zip(values, texts, strict=False):
                col.append(value)
            rows.append(row_number)
            if len(rows) >= self._batch_rows:
                yield _take_batch(values, rows, names)
        if rows:
            yield _take_batch(values, rows, names)


# ------------------------------------------------------------------------------------------ public API


def _sniff_format(path: Path) -> str | None:
    with path.open("rb") as f:
        head = f.read(64 << 10)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
        return "excel"
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(bom):
            text = head.decode(name, "replace")
            break
    else:
        if b"\x00" in head:
            return None
        text = head.decode("utf-8", "replace")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        return "csv"
    if stripped.startswith("{"):
        return "jsonl"
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text[:4096])
    return "csv" if printable >= 0.95 * min(len(text), 4096) else None


def detect_encoding(path: str | Path, sample_bytes: int = 4 << 20) -> str:
    """Detect the text encoding of a file.

    A byte-order mark decides first (``'utf-8-sig'``, ``'utf-16'``, ``'utf-32'``); then strict UTF-8
    on samples of the head, middle and tail of the file (``'utf-8'``); then ``charset_normalizer`` on
    the sampled non-ASCII lines tells Chinese (``'gb18030'``, a superset of GB2312/GBK) and other CJK
    or Cyrillic codecs from Western text (``'cp1252'``, or ``'latin-1'`` when a byte is undefined in
    cp1252).

    Parameters
    ----------
    path : str or Path
        The file.
    sample_bytes : int, default 4 MiB
        Bytes read from the head of the file (a quarter of that from its middle and tail).

    Returns
    -------
    str
        A Python codec name.

    Raises
    ------
    SourceError
        The file is missing, a folder or empty.
    """
    p = Path(path)
    size = _check_file(p)
    return _encoding.detect(p, size, sample_bytes)


def open_source(
    path: str | Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    batch_rows: int = 262_144,
) -> SourceReader:
    r"""Open a source file for streaming, checking eagerly that it can be read.

    Parameters
    ----------
    path : str or Path
        The file.
    format : {'csv', 'tsv', 'parquet', 'excel', 'jsonl'} or None
        Overrides the format told by the extension (``.csv .tsv .txt .parquet .pq .xlsx .xlsm .xls
        .xlsb .ods .jsonl .ndjson .json``); files with other extensions are sniffed.
    encoding : str or None
        Text encoding of a CSV or JSON Lines file; detected when None (see :func:`detect_encoding`).
        Ignored for Parquet and Excel.
    delimiter : str or None
        CSV delimiter; sniffed from the first lines among ``, ; TAB |`` when None (TAB for ``.tsv``).
        ``'\t'`` and ``'tab'`` also mean TAB. Ignored for other formats.
    sheet : str, int or None
        Excel sheet name or 0-based index; the first sheet when None. Ignored for other formats.
    batch_rows : int, default 262144
        Rows per batch (CSV batches are cut earlier when they reach about 128 MB).

    Returns
    -------
    SourceReader
        Columns known; stream the rows with :meth:`SourceReader.batches`.

    Raises
    ------
    SourceError
        The file is missing, a folder, empty, of an unsupported format, corrupt, has no usable header
        (none, empty or duplicate names), does not decode at its start, or the sheet does not exist.

    Notes
    -----
    * CSV lines with the wrong number of values, JSON lines that are not valid JSON objects, and Excel
      rows with values right of the header become :class:`RejectedLine` entries, never errors.
      Blank lines (all values empty) are skipped.
    * A text file that stops decoding further in (e.g. UTF-8 detected from the first megabytes, a
      cp1252 byte at 10 MB) raises :class:`SourceError` from :meth:`SourceReader.batches`, naming the
      line and byte offset and suggesting ``--encoding``; its lines are not rejected one by one,
      because a wrong encoding garbles every later line, not just one.
    * JSON Lines columns are the union of the keys of the objects in the first 10,000 non-blank
      lines (in order of appearance). A later line with a key outside that set is rejected (with the
      key named) rather than silently losing the key's value; nested values become JSON text and
      numbers keep the text they were written with.
    * A CSV quote that is never closed swallows the rest of the file: when that rest is shorter than
      2 MB the record is rejected (and the lines after it with it); otherwise the read stops with a
      :class:`SourceError` that points at the quoting.
    * Excel sheets are bounded by the format (about one million rows): the sheet's cells are held
      in memory by calamine while rows are converted lazily.
    """
    p = Path(path)
    size = _check_file(p)
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    if format is not None:
        fmt = _FORMAT_NAMES.get(format.strip().lower().lstrip("."))
        if fmt is None:
            raise SourceError(f"Unknown format {format!r} for {p}. Supported formats: {SUPPORTED_FORMATS}.")
        if format.strip().lower().lstrip(".") == "tsv" and delimiter is None:
            delimiter = "\t"
    else:
        fmt = _EXTENSIONS.get(p.suffix.lower()) or _sniff_format(p)
        if fmt is None:
            raise SourceError(
                f"{p}: cannot tell the file format from its extension {p.suffix!r} or its content. "
                f"Supported formats: {SUPPORTED_FORMATS}. Rename the file or pass --format."
            )
    if fmt == "csv":
        if delimiter is not None:
            delimiter = _DELIMITER_WORDS.get(delimiter.lower(), delimiter)
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise SourceError(
                    f"Invalid delimiter {delimiter!r} for {p}: give one character such as ',' ';' '|' or '\\t'."
                )
        return _CsvReader(p, size, encoding=encoding, delimiter=delimiter, batch_rows=batch_rows)
    if fmt == "jsonl":
        return _JsonlReader(p, size, encoding=encoding, batch_rows=batch_rows)
    if fmt == "parquet":
        return _ParquetReader(p, size, batch_rows=batch_rows)
    return _ExcelReader(p, sheet=sheet, batch_rows=batch_rows)
