"""Parquet parts of the canonical tables, written by a background thread.

Encoding and compressing Parquet releases the GIL, so writing month *n* overlaps with generating
month *n + 1* on the second core. Tables are written in the order they are handed over (one
thread, one FIFO queue), which keeps the files byte-for-byte reproducible; the bounded queue
keeps memory bounded when generation is faster than writing.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from shopops.schema import TABLES

__all__ = ["TableSink"]


class TableSink:
    """Write ``out_dir/<table>/part-00000.parquet, part-00001.parquet, ...`` for every canonical table.

    Parameters
    ----------
    out_dir : Path
        Output folder; existing ``part-*.parquet`` files of the canonical tables are replaced.
    compression : str
        Parquet codec.
    rows_per_file : int
        A part is closed and the next one started once it holds this many rows.
    """

    def __init__(self, out_dir: Path, compression: str, rows_per_file: int, max_pending: int = 4) -> None:
        self.out_dir = out_dir
        self.compression = compression
        self.rows_per_file = rows_per_file
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._rows_in_part: dict[str, int] = {}
        self._parts: dict[str, int] = dict.fromkeys(TABLES, 0)
        self._queue: queue.Queue[tuple[str, pa.Table] | None] = queue.Queue(maxsize=max_pending)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="shopops-parquet-writer", daemon=True)

    def __enter__(self) -> TableSink:
        for name in TABLES:
            folder = self.out_dir / name
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("part-*.parquet"):
                old.unlink()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._queue.put(None)
        self._thread.join()
        if kind is None:
            self._raise_pending()
            for name in TABLES:
                if self._parts[name] == 0:  # a table without rows still gets a file with its schema
                    self._open(name)
        for writer in self._writers.values():
            writer.close()

    def write(self, name: str, table: pa.Table) -> None:
        """Queue ``table`` (which must have the exact canonical schema) to be appended to ``name``."""
        self._raise_pending()
        expected = TABLES[name].arrow_schema()
        if not table.schema.equals(expected):
            raise TypeError(f"{name}: schema {table.schema} differs from the canonical {expected}")
        if table.num_rows:
            self.rows[name] += table.num_rows
            self._queue.put((name, table))

    def _raise_pending(self) -> None:
        if self._error is not None:
            raise RuntimeError("writing the Parquet parts failed") from self._error

    def _open(self, name: str) -> pq.ParquetWriter:
        if name in self._writers:
            self._writers[name].close()
        path = self.out_dir / name / f"part-{self._parts[name]:05d}.parquet"
        self._parts[name] += 1
        self._rows_in_part[name] = 0
        writer = pq.ParquetWriter(path, TABLES[name].arrow_schema(), compression=self.compression)
        self._writers[name] = writer
        return writer

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if self._error is not None:
                continue  # drain the queue so the producer never blocks
            name, table = job
            try:
                writer = self._writers.get(name)
                if writer is None or self._rows_in_part[name] >= self.rows_per_file:
                    writer = self._open(name)
                writer.write_table(table)
                self._rows_in_part[name] += table.num_rows
            except BaseException as exc:  # re-raised in the producer's thread
                self._error = exc
