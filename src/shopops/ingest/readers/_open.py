"""Opening a source file: the format from the format argument, the extension or the content, then its reader."""

from __future__ import annotations

import codecs
from pathlib import Path

from shopops.errors import SourceError
from shopops.ingest import _encoding
from shopops.ingest.readers._base import SourceReader, _check_file
from shopops.ingest.readers._csv import _CsvReader
from shopops.ingest.readers._excel import _ExcelReader
from shopops.ingest.readers._jsonl import _JsonlReader
from shopops.ingest.readers._parquet import _ParquetReader

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
_DELIMITER_WORDS = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


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
    long_records: bool = False,
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
    long_records : bool, default False
        CSV only: parse in 16 MB blocks instead of 2 MB, so that records up to 16 MB read, at the cost of a higher
        peak memory. Without it, a longer record raises :class:`LongRecordError` (a :class:`SourceError`).

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
      line and byte offset and suggesting an ``encoding``; its lines are not rejected one by one,
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
                f"Supported formats: {SUPPORTED_FORMATS}. Rename the file or give format= one of csv, tsv, parquet, "
                "excel, jsonl."
            )
    if fmt == "csv":
        if delimiter is not None:
            delimiter = _DELIMITER_WORDS.get(delimiter.lower(), delimiter)
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise SourceError(
                    f"Invalid delimiter {delimiter!r} for {p}: give one character such as ',' ';' '|' or '\\t'."
                )
        return _CsvReader(p, size, encoding=encoding, delimiter=delimiter, batch_rows=batch_rows,
                          long_records=long_records)
    if fmt == "jsonl":
        return _JsonlReader(p, size, encoding=encoding, batch_rows=batch_rows)
    if fmt == "parquet":
        return _ParquetReader(p, size, batch_rows=batch_rows)
    return _ExcelReader(p, sheet=sheet, batch_rows=batch_rows)
