"""The HTTP spool: a local append-only log that makes a posted batch durable before it is acknowledged.

HTTP has no broker to redeliver from, so the service writes each group commit (the batches of every
request waiting at that moment) as one line to the spool and ``fsync``s it before it answers. The
lake takes the spooled events in larger micro-batches, and each lake commit names the spool position
it ends at, exactly as a Kafka batch names its offsets. After a crash the service lands what the
spool holds past the last landed position; a torn last line was never acknowledged and is cut off.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shopops.monitor._events import Event, Rejected

__all__ = ["Spool"]

_SEGMENT_BYTES = 64 * 2**20


def _event_row(e: Event) -> list[Any]:
    return [e.event_id, e.event_type, e.ts, e.session_id, e.customer_id, e.order_id, e.product_id, e.amount,
            e.quantity, e.content_hash]


class Spool:
    """Segment files ``<folder>/<n>.log`` of JSON lines, each line one group commit.

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
        self._fh = (self.folder / f"{self.segment:08d}.log").open("ab")
        self._cut_torn_tail()

    def segments(self) -> list[int]:
        """The segment numbers present, oldest first."""
        return sorted(int(p.stem) for p in self.folder.glob("*.log") if p.stem.isdigit())

    def _cut_torn_tail(self) -> None:
        path = self.folder / f"{self.segment:08d}.log"
        data = path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            with path.open("r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
        self._fh.seek(0, os.SEEK_END)

    def position(self) -> tuple[int, int]:
        """The (segment, byte offset) after the last line written."""
        return self.segment, self._fh.tell()

    def append(self, events: list[Event], rejected: list[Rejected], duplicates: int) -> tuple[int, int]:
        """Write one group commit and make it durable; returns the position after it."""
        line = json.dumps({"e": [_event_row(e) for e in events],
                           "r": [[r.reason, r.raw, r.source, r.event_id] for r in rejected], "d": duplicates},
                          separators=(",", ":"), default=str).encode() + b"\n"
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        position = self.position()
        if position[1] > _SEGMENT_BYTES:
            self._fh.close()
            self.segment += 1
            self._fh = (self.folder / f"{self.segment:08d}.log").open("ab")
        return position

    def read_from(self, segment: int, offset: int
                  ) -> Iterator[tuple[list[Event], list[Rejected], int, tuple[int, int]]]:
        """Every group commit after (segment, offset): events, refused events, repeats dropped, position after."""
        for seg in self.segments():
            if seg < segment:
                continue
            path = self.folder / f"{seg:08d}.log"
            with path.open("rb") as fh:
                if seg == segment:
                    fh.seek(offset)
                pos = fh.tell()
                for raw in fh:
                    if not raw.endswith(b"\n"):
                        break  # torn: never acknowledged
                    pos += len(raw)
                    item = json.loads(raw)
                    events = [Event(*row) for row in item["e"]]
                    rejected = [Rejected(*row) for row in item["r"]]
                    yield events, rejected, int(item["d"]), (seg, pos)

    def trim(self, landed: tuple[int, int]) -> None:
        """Delete segments that the lake holds entirely."""
        for seg in self.segments():
            if seg < landed[0] and seg != self.segment:
                (self.folder / f"{seg:08d}.log").unlink(missing_ok=True)

    def close(self) -> None:
        """Close the open segment."""
        self._fh.close()
