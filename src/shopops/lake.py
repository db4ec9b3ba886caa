"""The Parquet lake: layout, batch ids and atomic commits.

Layout under ``<data_dir>/lake``::

    _batches/<batch_id>.json            commit records; a batch exists only once its record is here
    _staging/<batch_id>.<pid>/          work in progress of a running ingest (deleted on recovery)
    raw/<source>/batch=<id>/            the source as it was read (Parquet), for re-processing
    clean/<table>/batch=<id>/           validated canonical rows
    quarantine/<table>/batch=<id>/      rejected rows with ``_reason``, ``_source_file``, ``_source_row``
    superseded/<table>/batch=<id>/      keys (and batch seq) of earlier rows this batch replaces

Why this shape: an ingest writes everything into its staging folder, moves the folders into place
and only then writes its commit record with an atomic ``os.replace``. Readers list only committed
batches, so a crash or ``kill -9`` at any point leaves the visible lake exactly as it was; the
next writer removes the leftovers (:meth:`Lake.recover`). Writers take an exclusive lock on
``<data_dir>/.lock`` so two ingests never interleave.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopops.errors import IngestError

__all__ = ["Batch", "Lake"]

_ZONES = ("raw", "clean", "quarantine", "superseded")
_FILES_KEY = {"raw": "files", "clean": "files", "quarantine": "quarantine_files", "superseded": "superseded_files"}


@dataclass(frozen=True)
class Batch:
    """A committed ingest batch.

    Parameters
    ----------
    batch_id : str
        Content-derived id: the same source, adapter and mapping always give the same id.
    seq : int
        Commit order (1, 2, …); when two batches hold the same key, the higher ``seq`` wins.
    committed_at : str
        ISO timestamp (UTC) of the commit.
    source : dict
        Where the data came from (paths, sizes, checksums, format, encoding).
    adapter : str
        The adapter or mapping that turned the source into canonical tables.
    tables : dict
        Per canonical table: ``clean_rows``, ``quarantined_rows`` and the files written.
    report : dict
        The data-quality report of the batch.
    """

    batch_id: str
    seq: int
    committed_at: str
    source: dict[str, Any]
    adapter: str
    tables: dict[str, dict[str, Any]]
    report: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The commit record as JSON-compatible data."""
        return {
            "batch_id": self.batch_id,
            "seq": self.seq,
            "committed_at": self.committed_at,
            "source": self.source,
            "adapter": self.adapter,
            "tables": self.tables,
            "report": self.report,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Batch:
        """Read a commit record."""
        return cls(
            batch_id=data["batch_id"],
            seq=int(data["seq"]),
            committed_at=data["committed_at"],
            source=data.get("source", {}),
            adapter=data.get("adapter", ""),
            tables=data.get("tables", {}),
            report=data.get("report", {}),
        )


class Lake:
    """The Parquet lake of one data directory.

    Parameters
    ----------
    data_dir : Path
        The shopops data directory; the lake lives in ``data_dir / "lake"``.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "lake"

    # ---------------------------------------------------------------- reading
    def batches(self) -> list[Batch]:
        """Committed batches in commit order."""
        folder = self.root / "_batches"
        if not folder.is_dir():
            return []
        out = []
        for path in folder.glob("*.json"):
            with path.open(encoding="utf-8") as fh:
                out.append(Batch.from_json(json.load(fh)))
        return sorted(out, key=lambda b: b.seq)

    def batch_ids(self) -> set[str]:
        """Ids of the committed batches, from the commit records' names alone (cheap enough per request)."""
        folder = self.root / "_batches"
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return set()
        return {n.removesuffix(".json") for n in names if n.endswith(".json")}

    def batch(self, batch_id: str) -> Batch | None:
        """The committed batch with this id, or None."""
        path = self.root / "_batches" / f"{batch_id}.json"
        if not path.is_file():
            return None
        with path.open(encoding="utf-8") as fh:
            return Batch.from_json(json.load(fh))

    def files(self, zone: str, table: str) -> list[tuple[Path, Batch]]:
        """Parquet files of committed batches for ``table`` in ``zone``, oldest batch first."""
        if zone not in _ZONES:
            raise ValueError(f"zone must be one of {_ZONES}, not {zone!r}")
        out: list[tuple[Path, Batch]] = []
        for batch in self.batches():
            info = batch.tables.get(table)
            if not info:
                continue
            for rel in info.get(_FILES_KEY[zone], []):
                out.append((self.root / rel, batch))
        return out

    # ---------------------------------------------------------------- writing
    @contextlib.contextmanager
    def writer_lock(self, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the data directory's exclusive writer lock (blocks until free).

        ``on_wait`` is told, once, when another writer holds the lock and this one waits for it.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / ".lock").open("a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait(f"waiting for another writer (an ingest or build of {self.data_dir}) to finish")
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def recover(self) -> list[Path]:
        """Remove what interrupted writers left behind; call with the writer lock held.

        Returns
        -------
        list of Path
            The folders removed (staging folders and partitions of uncommitted batches).
        """
        removed: list[Path] = []
        staging = self.root / "_staging"
        if staging.is_dir():
            for child in staging.iterdir():
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
        committed = {b.batch_id for b in self.batches()}
        for zone in _ZONES:
            zone_dir = self.root / zone
            if not zone_dir.is_dir():
                continue
            for part in zone_dir.glob("*/batch=*"):
                if part.name.removeprefix("batch=") not in committed:
                    shutil.rmtree(part, ignore_errors=True)
                    removed.append(part)
        for tmp in (self.root / "_batches").glob("*.tmp") if (self.root / "_batches").is_dir() else []:
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
        return removed

    def staging_dir(self, batch_id: str) -> Path:
        """A fresh staging folder for a batch being written."""
        path = self.root / "_staging" / f"{batch_id}.{os.getpid()}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    def next_seq(self) -> int:
        """The sequence number the next committed batch gets."""
        batches = self.batches()
        return (batches[-1].seq + 1) if batches else 1

    def commit(
        self,
        staging: Path,
        *,
        batch_id: str,
        source: dict[str, Any],
        adapter: str,
        tables: dict[str, dict[str, Any]],
        report: dict[str, Any],
    ) -> Batch:
        """Move a staged batch into the lake and write its commit record.

        ``staging`` must contain ``<zone>/<name>/`` folders with Parquet files. The batch becomes
        visible only when the record is written, which is the last, atomic step.
        """
        if self.batch(batch_id) is not None:
            raise IngestError(f"batch {batch_id} is already committed")
        seq = self.next_seq()
        rel_files: dict[str, dict[str, Any]] = {name: dict(info) for name, info in tables.items()}
        for zone in _ZONES:
            zone_dir = staging / zone
            if not zone_dir.is_dir():
                continue
            for name_dir in sorted(zone_dir.iterdir()):
                target = self.root / zone / name_dir.name / f"batch={batch_id}"
                if target.exists():  # left over by a crash after a move; never committed
                    shutil.rmtree(target)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(name_dir, target)
                files = sorted(str(p.relative_to(self.root)) for p in target.rglob("*.parquet"))
                if zone == "raw":
                    rel_files.setdefault("_raw", {}).setdefault("files", []).extend(files)
                else:
                    rel_files.setdefault(name_dir.name, {})[_FILES_KEY[zone]] = files
        batch = Batch(
            batch_id=batch_id,
            seq=seq,
            committed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source=source,
            adapter=adapter,
            tables=rel_files,
            report=report,
        )
        folder = self.root / "_batches"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{batch_id}.json.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(batch.to_json(), fh, indent=1, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / f"{batch_id}.json")
        _fsync_dir(folder)
        shutil.rmtree(staging, ignore_errors=True)
        return batch


def _fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
