"""Landing events in the lake: micro-batches whose commit record carries the stream position they end at.

One lake batch holds the accepted events of a micro-batch (``clean/live_events``) and the refused
ones with their reason (``quarantine/live_events``). Its commit record also names where the stream
stood when the batch was cut: the next Kafka offset of every partition, or the position in the HTTP
spool. The record is written last and atomically (:meth:`shopops.lake.Lake.commit`), so a landed
batch and its position are one fact: after ``kill -9`` a consumer resumes exactly after the last
landed batch, and nothing is lost or landed twice.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shopops.lake import Batch, Lake
from shopops.monitor._events import EVENT_SCHEMA, Checked, Event, Rejected, events_table
from shopops.schema import TABLES

__all__ = ["ADAPTER", "EventIndex", "Landed", "events_of_landed", "land_batch", "landed_kafka_offsets",
           "landed_spool_position", "monitor_batches"]

ADAPTER = "monitor"
TABLE = "live_events"
_QUARANTINE = pa.schema([("event_id", pa.string()), ("_reason", pa.string()), ("_raw_text", pa.string()),
                         ("_source_file", pa.string()), ("_source_row", pa.int64()),
                         ("received_at", pa.timestamp("us"))])


@dataclass(frozen=True)
class Landed:
    """What one micro-batch put in the lake."""

    batch_id: str | None
    events: int
    quarantined: int
    duplicates: int


class EventIndex:
    """The ``event_id`` and content hash of every landed event: drops repeats, refuses a changed repeat."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._seen)

    @classmethod
    def from_lake(cls, lake: Lake) -> EventIndex:
        """The index of every event already in the lake."""
        index = cls()
        for path in _event_files(lake):
            table = pq.read_table(str(path), columns=["event_id", "content_hash"], filesystem=lake.fs)
            index._seen.update(zip(table["event_id"].to_pylist(), table["content_hash"].to_pylist(), strict=True))
        return index

    def split(self, batch: Checked | Iterable[Event | Rejected]) -> tuple[pa.Table, list[Rejected], int]:
        """New events, refused ones (invalid, or a known id with other content) and how many repeats were dropped.

        The new events are added to the index at once, so a repeat inside one batch is dropped too.
        """
        if not isinstance(batch, Checked):
            batch = Checked.of(batch)
        table = batch.events
        rejected = list(batch.rejected)
        fresh: list[int] = []
        changed: list[int] = []
        repeats = 0
        seen = self._seen
        ids = table["event_id"].to_pylist()
        hashes = table["content_hash"].to_pylist()
        distinct = set(ids)
        if len(distinct) == len(ids) and seen.keys().isdisjoint(distinct):  # the usual batch: all new
            seen.update(zip(ids, hashes, strict=True))
            return table, rejected, 0
        for i, (event_id, digest) in enumerate(zip(ids, hashes, strict=True)):
            known = seen.get(event_id)
            if known is None:
                seen[event_id] = digest
                fresh.append(i)
            elif known == digest:
                repeats += 1
            else:
                changed.append(i)
        for row in table.take(pa.array(changed, pa.int64())).to_pylist() if changed else []:
            rejected.append(Rejected(f"event_id {row['event_id']!r} was already taken with other content "
                                     "(an event id names one event; send a new id for a new event)",
                                     _describe(row), "dedup", row["event_id"]))
        return (table if len(fresh) == table.num_rows else table.take(pa.array(fresh, pa.int64()))), rejected, repeats

    def forget(self, events: pa.Table) -> None:
        """Take events out of the index again (their batch could not be landed)."""
        for event_id in events["event_id"].to_pylist():
            self._seen.pop(event_id, None)


def _describe(row: dict[str, Any]) -> str:
    return (f'{{"event_id": "{row["event_id"]}", "type": "{row["event_type"]}", "ts": {row["ts"]}, '
            f'"order_id": "{row["order_id"]}", "amount": {row["amount"]}}}')


def _events_table(events: pa.Table, received_at: float, transport: str) -> pa.Table:
    n = events.num_rows
    micros = (events["ts"].to_numpy() * 1e6).astype("int64")  # truncated, as int() does
    columns = {f.name: events[f.name] for f in EVENT_SCHEMA}
    columns["ts"] = pa.array(micros).cast(pa.timestamp("us"))
    columns["received_at"] = pa.array(np.full(n, int(received_at * 1e6), "int64")).cast(pa.timestamp("us"))
    columns["transport"] = pa.array([transport] * n, pa.string())
    schema = TABLES[TABLE].arrow_schema()
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def events_of_landed(table: pa.Table) -> pa.Table:
    """Landed rows (``live_events``) back as event columns (:data:`EVENT_SCHEMA`)."""
    columns = {f.name: table[f.name] for f in EVENT_SCHEMA if f.name != "ts"}
    columns["ts"] = pa.array(table["ts"].cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e6)
    return pa.Table.from_arrays([columns[f.name] for f in EVENT_SCHEMA], schema=EVENT_SCHEMA)


def land_batch(lake: Lake, events: pa.Table | list[Event], rejected: list[Rejected], *, transport: str, duplicates: int,
               position: dict[str, Any]) -> Landed:
    """Write one micro-batch and commit it with its stream position, under the lake's writer lock.

    Parameters
    ----------
    lake : Lake
        The lake of the data directory.
    events : pyarrow.Table
        The accepted (already de-duplicated) events: :data:`EVENT_SCHEMA` columns, or a list.
    rejected : list
        The refused events.
    transport : str
        ``http`` or ``kafka``.
    duplicates : int
        How many repeats were dropped (recorded in the batch's report).
    position : dict
        Where the stream stands after this batch: ``{"kafka": {"group": g, "offsets": {"topic/p": next}}}``
        or ``{"spool": {"segment": n, "offset": bytes}}``; stored in the commit record.
    """
    if not isinstance(events, pa.Table):
        events = events_table(events)
    if not events.num_rows and not rejected and not position:
        return Landed(None, 0, 0, duplicates)
    received = time.time()
    batch_id = f"live-{time.strftime('%Y%m%dT%H%M%S', time.gmtime(received))}-{secrets.token_hex(4)}"
    with lake.writer_lock():
        staging = lake.staging_dir(batch_id)
        if events.num_rows:
            (staging / "clean" / TABLE).mkdir(parents=True)
            pq.write_table(_events_table(events, received, transport), staging / "clean" / TABLE / "part-0.parquet",
                           compression="zstd")
        if rejected:
            (staging / "quarantine" / TABLE).mkdir(parents=True)
            q = pa.table({
                "event_id": [r.event_id for r in rejected], "_reason": [r.reason for r in rejected],
                "_raw_text": [r.raw for r in rejected], "_source_file": [r.source for r in rejected],
                "_source_row": pa.array(range(len(rejected)), pa.int64()),
                "received_at": pa.array([int(received * 1e6)] * len(rejected), pa.int64()).cast(pa.timestamp("us")),
            }, schema=_QUARANTINE)
            pq.write_table(q, staging / "quarantine" / TABLE / "part-0.parquet", compression="zstd")
        report = {TABLE: {"rows_in": events.num_rows + len(rejected) + duplicates, "rows_ok": events.num_rows,
                          "rows_quarantined": len(rejected), "duplicates_dropped": duplicates}}
        lake.commit(staging, batch_id=batch_id, source={"transport": transport, **position}, adapter=ADAPTER,
                    tables={TABLE: {"clean_rows": events.num_rows, "quarantined_rows": len(rejected)}}, report=report)
    return Landed(batch_id, events.num_rows, len(rejected), duplicates)


def monitor_batches(lake: Lake) -> list[Batch]:
    """The monitor's visible batches in commit order: without those a compacted batch replaces.

    A compaction commits the merged batch first and deletes the ones it replaces after; a crash in
    between leaves both, and this is where the replaced ones stop counting.
    """
    batches = [b for b in lake.batches() if b.adapter == ADAPTER]
    replaced = {bid for b in batches for bid in b.source.get("replaces", [])}
    return [b for b in batches if b.batch_id not in replaced]


def _positions(lake: Lake) -> list[dict[str, Any]]:
    """Every stream position landed, in the order it was landed (a compacted batch keeps those it merged)."""
    entries: list[tuple[int, dict[str, Any]]] = []
    for batch in monitor_batches(lake):
        if "positions" in batch.source:
            entries += [(int(p["seq"]), p) for p in batch.source["positions"]]
        else:
            entries.append((batch.seq, batch.source))
    return [p for _seq, p in sorted(entries, key=lambda e: e[0])]


def _event_files(lake: Lake, zone: str = "clean") -> list[Path]:
    key = "files" if zone == "clean" else "quarantine_files"
    return [lake.root / rel for b in monitor_batches(lake) for rel in b.tables.get(TABLE, {}).get(key, [])]


def landed_kafka_offsets(lake: Lake, group: str) -> dict[str, int]:
    """The next offset of each ``topic/partition`` after the last batch this consumer group landed."""
    offsets: dict[str, int] = {}
    for position in _positions(lake):
        kafka = position.get("kafka") or {}
        if kafka.get("group") == group:
            offsets.update({k: int(v) for k, v in kafka.get("offsets", {}).items()})
    return offsets


def landed_spool_position(lake: Lake) -> tuple[int, int]:
    """The HTTP spool position (segment, byte offset) the last landed HTTP batch ends at."""
    position = (0, 0)
    for landed in _positions(lake):
        spool = landed.get("spool")
        if spool:
            position = max(position, (int(spool["segment"]), int(spool["offset"])))
    return position


def landed_events(lake: Lake, since: float | None = None) -> pa.Table:
    """Every landed event (optionally only those with event time from ``since``), for rebuilding windows."""
    tables = [pq.read_table(str(path), filesystem=lake.fs) for path in _event_files(lake)]
    if not tables:
        return TABLES[TABLE].arrow_schema().empty_table()
    table = pa.concat_tables(tables)
    if since is not None:
        cutoff = pa.scalar(int(since * 1e6), pa.int64()).cast(pa.timestamp("us"))
        table = table.filter(pc.greater_equal(table["ts"], cutoff))
    return table
