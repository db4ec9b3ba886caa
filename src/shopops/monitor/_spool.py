"""The HTTP spool: a local append-only log that makes a posted batch durable before it is acknowledged.

HTTP has no broker to redeliver from, so the service writes each group commit (the batches of every
request waiting at that moment) as one record to the spool and ``fsync``s it before it answers. The
lake takes the spooled events in larger micro-batches, and each lake commit names the spool position
it ends at, exactly as a Kafka batch names its offsets. After a crash the service lands what the
spool holds past the last landed position; a torn last record was never acknowledged and is cut off.

A record is a frame: a magic, the lengths of its two parts and a CRC-32 of both, then a JSON header
(refused events, repeats dropped) and the accepted events as an Arrow IPC stream, so that writing and
reading a group commit costs no per-event Python work.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from shopops.monitor._events import EVENT_SCHEMA, Checked, Rejected

__all__ = ["Spool"]

_SEGMENT_BYTES = 64 * 2**20
_MAGIC = b"SPL2"
_HEAD = struct.Struct("<4sIII")  # magic, header length, events length, crc32 of header + events


def _frames(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """(end offset, header, events) of every whole frame from the start of ``data``; stops at a torn one."""
    pos = 0
    while pos + _HEAD.size <= len(data):
        magic, head_len, body_len, crc = _HEAD.unpack_from(data, pos)
        end = pos + _HEAD.size + head_len + body_len
        if magic != _MAGIC or end > len(data):
            return
        head = data[pos + _HEAD.size:pos + _HEAD.size + head_len]
        body = data[pos + _HEAD.size + head_len:end]
        if zlib.crc32(body, zlib.crc32(head)) != crc:
            return
        yield end, head, body
        pos = end


class Spool:
    """Segment files ``<folder>/<n>.spool`` of framed group commits.

    Parameters
    ----------
    folder : Path
        Where the segments live (``<data_dir>/monitor/spool``).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        segments = self.segments()
        self.segment = segments[-1] if segments else 1
        self._fh = self._path(self.segment).open("ab")
        self._cut_torn_tail()

    def _path(self, segment: int) -> Path:
        return self.folder / f"{segment:08d}.spool"

    def segments(self) -> list[int]:
        """The segment numbers present, oldest first."""
        return sorted(int(p.stem) for p in self.folder.glob("*.spool") if p.stem.isdigit())

    def _cut_torn_tail(self) -> None:
        path = self._path(self.segment)
        data = path.read_bytes()
        end = max((frame[0] for frame in _frames(data)), default=0)
        if end != len(data):
            with path.open("r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
        self._fh.seek(0, os.SEEK_END)

    def position(self) -> tuple[int, int]:
        """The (segment, byte offset) after the last record written."""
        return self.segment, self._fh.tell()

    def append(self, batch: Checked, duplicates: int) -> tuple[int, int]:
        """Write one group commit (accepted and refused events, repeats dropped) durably; the position after it."""
        head = json.dumps({"r": [[r.reason, r.raw, r.source, r.event_id] for r in batch.rejected], "d": duplicates},
                          separators=(",", ":"), default=str).encode()
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, EVENT_SCHEMA) as writer:
            writer.write_table(batch.events)
        body = sink.getvalue().to_pybytes()
        self._fh.write(_HEAD.pack(_MAGIC, len(head), len(body), zlib.crc32(body, zlib.crc32(head))) + head + body)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        position = self.position()
        if position[1] > _SEGMENT_BYTES:
            self._fh.close()
            self.segment += 1
            self._fh = self._path(self.segment).open("ab")
        return position

    def read_from(self, segment: int, offset: int) -> Iterator[tuple[Checked, int, tuple[int, int]]]:
        """Every group commit after (segment, offset): the batch, repeats dropped, the position after it."""
        for seg in self.segments():
            if seg < segment:
                continue
            data = self._path(seg).read_bytes()
            start = offset if seg == segment else 0
            for end, head, body in _frames(data[start:]):
                item = json.loads(head)
                events = pa.ipc.open_stream(body).read_all()
                yield Checked(events, [Rejected(*row) for row in item["r"]]), int(item["d"]), (seg, start + end)

    def trim(self, landed: tuple[int, int]) -> None:
        """Delete segments that the lake holds entirely."""
        for seg in self.segments():
            if seg < landed[0] and seg != self.segment:
                self._path(seg).unlink(missing_ok=True)

    def close(self) -> None:
        """Close the open segment."""
        self._fh.close()
