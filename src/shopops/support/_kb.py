"""The knowledge base: FAQ and policy entries read from Markdown with front matter, CSV or JSON.

An entry has question variants, an answer, a language, tags and optionally the intent it serves.
Entries of one ``topic`` in Chinese and English are the same answer in two languages, so the bot
can answer in the customer's language. The files become rows of the canonical table
``kb_entries`` (one row per question variant), which then go through the normal validated ingest:
an entry without an answer, a question asked twice or a file whose front matter cannot be read is
quarantined there with its reason, and every load is a batch of the lake like any other.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shopops.errors import SourceError
from shopops.schema import TABLES

__all__ = ["KB_SUFFIXES", "KnowledgeBaseFile", "kb_rows", "read_kb_text", "write_kb_source"]

KB_SUFFIXES = (".md", ".markdown", ".csv", ".json")
_SPLIT_QUESTIONS = re.compile(r"\s*(?:\n|\|)\s*")
_SPACES = re.compile(r"\s+")
_FRONT = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.DOTALL)


@dataclass
class KnowledgeBaseFile:
    """A knowledge-base source converted to the ``kb_entries`` layout, ready to ingest.

    Attributes
    ----------
    path : Path
        The Parquet file written.
    rows : int
        Question rows in it (including rows that ingest will quarantine).
    entries : int
        Entries read.
    notes : list of str
        What the loader noticed (a file decoded as GB18030, an entry it could not read).
    """

    path: Path
    rows: int
    entries: int
    notes: list[str] = field(default_factory=list)


def read_kb_text(path: Path) -> tuple[str, str]:
    """The text of ``path`` and the encoding it was read with (UTF-8, else GB18030/GBK, else detected)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise SourceError(f"{path}: cannot tell the text encoding; save it as UTF-8")
    return str(best), best.encoding


def _clean(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def _questions(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    elif value is None:
        items = []
    else:
        items = _SPLIT_QUESTIONS.split(str(value))
    return [q for q in (_clean(i) for i in items) if q]


def _tags(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return _clean(",".join(str(v).strip() for v in value))
    return _clean(value)


def _entry_rows(entry: dict[str, Any], source: str, default_id: str) -> list[dict[str, Any]]:
    """Rows of one entry: one per question variant (an entry without questions keeps one row to quarantine)."""
    lowered = {str(k).strip().lower(): v for k, v in entry.items()}
    entry_id = _clean(lowered.get("id") or lowered.get("entry_id")) or default_id
    language = _clean(lowered.get("language") or lowered.get("lang"))
    questions = _questions(lowered.get("questions", lowered.get("question")))
    base = {
        "entry_id": entry_id,
        "topic": _clean(lowered.get("topic")) or entry_id,
        "language": language.lower() if language else None,
        "answer": (str(lowered["answer"]).strip() or None) if lowered.get("answer") is not None else None,
        "tags": _tags(lowered.get("tags")),
        "intent": _clean(lowered.get("intent")),
        "parse_status": "ok",
        "source_file": source,
    }
    return [{**base, "question": q} for q in questions] or [{**base, "question": None}]


def _broken(source: str, default_id: str, why: str, raw: str) -> dict[str, Any]:
    return {"entry_id": default_id, "topic": default_id, "language": None, "answer": raw[:2000] or None,
            "tags": None, "intent": None, "parse_status": f"{why} ({source})", "source_file": source,
            "question": None}


def _markdown(text: str, source: str, default_id: str) -> list[dict[str, Any]]:
    import yaml

    match = _FRONT.match(text)
    if match is None:
        return [_broken(source, default_id, "no front matter: start the file with a --- block of "
                        "id, language and questions", text)]
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        return [_broken(source, default_id, f"broken front matter{where}: {getattr(exc, 'problem', exc)}", text)]
    if not isinstance(meta, dict):
        return [_broken(source, default_id, "broken front matter: expected key: value lines", text)]
    return _entry_rows({**meta, "answer": match.group(2)}, source, default_id)


def kb_rows(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The ``kb_entries`` rows of one Markdown, CSV or JSON file, and notes about reading it."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in KB_SUFFIXES:
        raise SourceError(f"{path}: a knowledge-base file must be Markdown, CSV or JSON ({', '.join(KB_SUFFIXES)})")
    text, encoding = read_kb_text(path)
    notes = [] if encoding == "utf-8-sig" else [f"{path.name}: read as {encoding}"]
    source, stem = path.name, path.stem
    if suffix in (".md", ".markdown"):
        return _markdown(text, source, stem), notes
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
        items = data.get("entries") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise SourceError(f"{path}: expected a list of entries, or an object with an \"entries\" list")
        rows: list[dict[str, Any]] = []
        for k, item in enumerate(items):
            if isinstance(item, dict):
                rows.extend(_entry_rows(item, source, f"{stem}-{k + 1}"))
            else:
                rows.append(_broken(source, f"{stem}-{k + 1}", f"entry {k + 1} is not an object", str(item)))
        return rows, notes
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"answer"} <= {f.strip().lower() for f in reader.fieldnames}:
        raise SourceError(f"{path}: a knowledge-base CSV needs at least the columns question(s) and answer; it has: "
                          f"{', '.join(reader.fieldnames or [])}")
    rows = []
    for k, record in enumerate(reader):
        rows.extend(_entry_rows(dict(record), source, f"{stem}-{k + 1}"))
    return rows, notes


def write_kb_source(paths: list[Path], out_dir: Path) -> KnowledgeBaseFile:
    """Convert knowledge-base files (or folders of them) into one ``kb_entries`` Parquet file under ``out_dir``."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in KB_SUFFIXES and f.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            raise SourceError(f"{p}: no such file or folder")
    if not files:
        raise SourceError(f"no knowledge-base files ({', '.join(KB_SUFFIXES)}) in {', '.join(map(str, paths))}")
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    entries = 0
    for f in files:
        found, file_notes = kb_rows(f)
        rows.extend(found)
        notes.extend(file_notes)
        entries += len({r["entry_id"] for r in found})
        notes.extend(f"{r['source_file']}: {r['parse_status']}" for r in found if r["parse_status"] != "ok")
    table = pa.Table.from_pylist(rows, schema=TABLES["kb_entries"].arrow_schema())
    import hashlib

    digest = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"kb-{digest}.parquet"
    pq.write_table(table, path)
    return KnowledgeBaseFile(path, table.num_rows, entries, notes)
