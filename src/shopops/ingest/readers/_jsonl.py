"""The JSON Lines reader: one object per line, columns from the keys of the first lines, values as written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from shopops.errors import SourceError
from shopops.ingest import _encoding
from shopops.ingest.readers._base import (
    MAX_REJECT_TEXT,
    SOURCE_ROW,
    SourceReader,
    _check_names,
    _decode_failure,
    _resolve_encoding,
    _take_batch,
)

JSONL_SCHEMA_LINES = 10_000
"""JSON Lines columns are the union of the keys of the objects in this many first non-blank lines."""

_JSONL_MAX_BATCH_TEXT = 32 << 20  # JSON text per batch (Python objects cost several times more)
_MAX_LINE_BYTES = 64 << 20  # longer JSON lines are rejected without being held in memory


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

