"""Compaction: many small live-event batches (one per micro-batch) merged into a few large ones.

Micro-batches keep landing fast, but a lake of thousands of tiny Parquet files is slow to read and
to build from. A compaction merges a run of small monitor batches into one: it writes the merged
files, commits the new batch (its record names the batches it replaces and keeps every stream
position they carried, with their order), and only then deletes the replaced records and files.
A crash before the commit leaves the old batches (the staging folder is removed on recovery); a
crash after it leaves both for a moment, and every reader skips the replaced ones
(:func:`monitor_batches`) until :func:`finish_compaction` deletes them. So nothing is lost or
landed twice at any point, and Kafka consumers and the HTTP spool resume where they were.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from shopops.errors import ShopopsError
from shopops.lake import Batch, Lake
from shopops.monitor._landing import ADAPTER, TABLE, monitor_batches

__all__ = ["Compaction", "compact_events", "finish_compaction"]


@dataclass(frozen=True)
class Compaction:
    """What one compaction did."""

    merged_batches: int
    new_batches: list[str]
    events: int
    quarantined: int


def _rows(batch: Batch) -> int:
    info = batch.tables.get(TABLE, {})
    return int(info.get("clean_rows", 0)) + int(info.get("quarantined_rows", 0))


def finish_compaction(lake: Lake) -> list[str]:
    """Delete the batches a committed compaction replaces (after a crash between its commit and its clean-up).

    Call it with the lake's writer lock held. Returns the ids deleted.
    """
    if lake.store is not None:
        return []  # compaction is not done on object storage (compact_events refuses), so nothing to finish
    batches = [b for b in lake.batches() if b.adapter == ADAPTER]
    replaced = {bid for b in batches for bid in b.source.get("replaces", [])}
    present = [b.batch_id for b in batches if b.batch_id in replaced]
    folder = lake.root / "_batches"
    for batch_id in present:
        (folder / f"{batch_id}.json").unlink(missing_ok=True)
    if present:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for batch_id in replaced:  # the records are gone: the files are no batch's any more
        for zone in ("clean", "quarantine"):
            shutil.rmtree(lake.root / zone / TABLE / f"batch={batch_id}", ignore_errors=True)
    return present


def compact_events(lake: Lake, *, small_rows: int = 50_000, min_batches: int = 8,
                   max_rows: int = 2_000_000) -> Compaction:
    """Merge runs of small live-event batches into batches of up to ``max_rows`` rows.

    Parameters
    ----------
    lake : Lake
        The lake of the data directory (the writer lock is taken here).
    small_rows : int
        Batches with fewer rows (events and quarantined ones) than this are merged.
    min_batches : int
        Do nothing until at least this many small batches wait.
    max_rows : int
        The most rows one merged batch holds (bounds the memory a compaction needs).
    """
    if lake.store is not None:
        raise ShopopsError(f"{lake.uri}: compacting live events is not supported on a lake on object storage yet")
    with lake.writer_lock():
        lake.recover()
        finish_compaction(lake)
        small = [b for b in monitor_batches(lake) if _rows(b) < small_rows]
        if len(small) < min_batches:
            return Compaction(0, [], 0, 0)
        runs: list[list[Batch]] = [[]]
        for batch in small:
            if runs[-1] and sum(_rows(b) for b in runs[-1]) + _rows(batch) > max_rows:
                runs.append([])
            runs[-1].append(batch)
        merged, new_ids, events, quarantined = 0, [], 0, 0
        for run in runs:
            if len(run) < 2:
                continue
            batch = _merge(lake, run)
            finish_compaction(lake)
            merged += len(run)
            new_ids.append(batch.batch_id)
            events += int(batch.tables[TABLE]["clean_rows"])
            quarantined += int(batch.tables[TABLE]["quarantined_rows"])
    return Compaction(merged, new_ids, events, quarantined)


def _merge(lake: Lake, run: list[Batch]) -> Batch:
    batch_id = f"live-compact-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(4)}"
    staging = lake.staging_dir(batch_id)
    counts = {}
    for zone, key in (("clean", "files"), ("quarantine", "quarantine_files")):
        tables = [pq.read_table(lake.root / rel) for b in run for rel in b.tables.get(TABLE, {}).get(key, [])]
        counts[zone] = sum(t.num_rows for t in tables)
        if tables:
            (staging / zone / TABLE).mkdir(parents=True)
            pq.write_table(pa.concat_tables(tables), staging / zone / TABLE / "part-0.parquet", compression="zstd")
    positions: list[dict[str, Any]] = []
    for b in run:
        if "positions" in b.source:
            positions += b.source["positions"]
        else:
            positions.append({"seq": b.seq, **{k: v for k, v in b.source.items() if k in ("kafka", "spool")}})
    reports = [b.report.get(TABLE, {}) for b in run]
    report = {TABLE: {name: sum(int(r.get(name, 0)) for r in reports)
                      for name in ("rows_in", "rows_ok", "rows_quarantined", "duplicates_dropped")}}
    report[TABLE]["compacted_batches"] = len(run)
    transports = sorted({str(b.source.get("transport", "")) for b in run})
    source = {"transport": "+".join(transports), "replaces": [b.batch_id for b in run], "positions": positions}
    return lake.commit(staging, batch_id=batch_id, source=source, adapter=ADAPTER,
                       tables={TABLE: {"clean_rows": counts["clean"], "quarantined_rows": counts["quarantine"]}},
                       report=report)
