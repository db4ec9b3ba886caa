"""The CSV/TSV text reader: delimiter sniffing, Arrow's streaming parser and physical line numbers."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from shopops.errors import SourceError
from shopops.ingest import _encoding
from shopops.ingest.readers._base import (
    SOURCE_ROW,
    SourceReader,
    _check_names,
    _decode_failure,
    _resolve_encoding,
)

_DELIMITERS = (",", ";", "\t", "|")
# Bytes Arrow parses at a time (it reads a few ahead), which bounds the longest CSV record. The small block keeps
# the peak memory of a file larger than memory low; a file with a longer record is read again with the long block.
_CSV_BLOCK_SIZE = 2 << 20
_CSV_LONG_BLOCK_SIZE = 16 << 20
_PROBE_BLOCK_SIZE = 1 << 20
_SNIFF_BYTES = 256 << 10
_SNIFF_LINES = 50
_MAX_BATCH_BYTES = 128 << 20  # a batch is cut early when its rows are this big


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


_UNCLOSED = ('opens a quote (") that is never closed, so the lines after it were read as part of one value; '
             'they were read again on their own. Close the quote; a quote inside a value must be doubled ("")')


def _split_first_line(text: str) -> tuple[str, str, str]:
    """``text`` as its first physical line, the line break after it ('' when none) and the rest."""
    m = re.search(r"\r\n|\r|\n", text)
    if m is None:
        return text, "", ""
    return text[:m.start()], m.group(), text[m.end():]


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


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def _refuse_binary(path: Path) -> None:
    """Refuse a file that is not text (an image, a zip, a Parquet file named .csv) before sniffing it.

    Text in UTF-16/32 has NUL bytes too: the caller checks only files of other encodings.
    """
    with path.open("rb") as f:
        head = f.read(64 << 10)
    controls = sum(head.count(bytes([b])) for b in _CONTROL)
    if b"\0" in head or controls > max(len(head) // 100, 2):
        kind = ("a Parquet file" if head.startswith(b"PAR1") else "a zip archive (an .xlsx workbook?)"
                if head.startswith(b"PK") else "binary data")
        raise SourceError(f"{path}: not a text file, so not CSV: it holds {kind}. Give the file its real "
                          "extension (.parquet, .xlsx, …) or export it as CSV text.")


class LongRecordError(SourceError):
    """A CSV record is longer than the reader's block: read the file again with ``long_records=True``."""


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
        long_records: bool = False,
    ) -> None:
        self._block_size = _CSV_LONG_BLOCK_SIZE if long_records else _CSV_BLOCK_SIZE
        enc = _resolve_encoding(path, size, encoding)
        if not codecs.lookup(enc).name.startswith(("utf-16", "utf-32")):
            _refuse_binary(path)
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
            if "straddl" in str(exc) and skip < len(lines) and lines[skip].count('"') % 2 == 0:
                # A long record after the header: the header line itself is whole, read it here; the
                # long record is judged by the full read (a long value, or a quote never closed).
                raw_names = next(csv.reader(io.StringIO(lines[skip]), delimiter=delimiter, quotechar='"'))
            elif not (complete and "Empty CSV file" in str(exc)):
                raise self._wrap(exc, "at the header") from exc
            else:
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
            error = LongRecordError if self._block_size < _CSV_LONG_BLOCK_SIZE else SourceError
            return error(
                f"{self.path}: a record {where} is longer than {self._block_size / 2**20:g} MB. Most likely a "
                'value opens a quote (") that is never closed, so the rest of the file reads as one value; '
                "else one value is really that long. Fix the quoting in the file (a quote inside a value "
                'must be doubled: "") or shorten the value.'
            )
        return SourceError(f"{self.path} is not a readable CSV file ({where}): {message}")

    def _batches(self) -> Iterator[pa.RecordBatch]:
        yield from _rebatch(self._csv_batches(), self._batch_rows, _MAX_BATCH_BYTES)

    def _csv_batches(self) -> Iterator[pa.RecordBatch]:
        if self._header_only:
            return
        self._recovered: list[tuple[int, list[str | None]]] = []
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
            reader = self._open_arrow(types, handler, self._block_size)
        except (pa.ArrowException, UnicodeError, OSError) as exc:  # the header was read: the record after it
            raise self._wrap(exc, f"after line {last_line:,}") from exc
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
        if self._recovered:  # lines an unclosed quote had swallowed, read again on their own
            lines_of, values = zip(*self._recovered, strict=True)
            columns = [pa.array([v[i] for v in values], pa.string()) for i in range(len(self.columns))]
            yield pa.RecordBatch.from_arrays([*columns, pa.array(lines_of, pa.int64())],
                                             names=[*self.columns, SOURCE_ROW])

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
        text = (before[line_start:] + tail).decode(codec, "replace")
        first, _, rest = _split_first_line(text)
        self._reject(line, first, _UNCLOSED)
        self._recover(rest, line + 1)
        return batch.slice(0, batch.num_rows - 1)

    def _opens_unclosed_quote(self, first: str, record: str) -> bool:
        """Whether a record's first line opens a quoted value that the rest of the record never closes."""
        delim = re.escape(self.delimiter or ",")
        return bool(re.search(f'(^|{delim})"', first)) and record.count('"') % 2 == 1

    def _recover(self, text: str, first_line: int) -> None:
        """Read the lines an unclosed quote swallowed as the records they are (bad ones are rejected alone)."""
        width = len(self.columns)
        physical = _split_lines(text)
        if physical and physical[-1] == "":
            physical.pop()
        reader = csv.reader(io.StringIO("\n".join(physical)), delimiter=self.delimiter or ",", quotechar='"')
        start = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # pragma: no cover - the csv module is lenient by default
                self._reject(first_line + start, physical[start] if start < len(physical) else "", str(exc))
                break
            end = reader.line_num
            line = first_line + start
            raw = "\n".join(physical[start:end])
            if row and not any(v.strip() for v in row):
                pass
            elif len(row) == width:
                self._recovered.append((line, [v if v != "" else None for v in row]))
            elif self._opens_unclosed_quote(physical[start], raw):
                self._reject(line, physical[start], _UNCLOSED)
                self._recover("\n".join(physical[start + 1:]), line + 1)
                return
            else:
                self._add_reject(_PendingReject(line, 0, raw, width, len(row), not raw.strip()), line)
            start = end

    def _add_reject(self, p: _PendingReject, line: int) -> None:
        if p.silent:
            return
        first, brk, rest = _split_first_line(p.text)
        if brk and hasattr(self, "_recovered") and self._opens_unclosed_quote(first, p.text):
            # A quote opened on this line and never closed swallowed the lines after it.
            self._reject(line, first, _UNCLOSED)
            self._recover(rest, line + 1)
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

