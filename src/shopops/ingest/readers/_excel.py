"""The Excel/OpenDocument reader (python-calamine): cells as text, rows numbered as the sheet shows them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from shopops.errors import SourceError
from shopops.ingest.readers._base import SOURCE_ROW, SourceReader, _check_names, _take_batch


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
                f"Pick another sheet with sheet= its name or 0-based number (sheets: {listed})."
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

