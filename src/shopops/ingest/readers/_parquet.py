"""The Parquet reader: native column types, row numbers counted from 1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shopops.errors import SourceError
from shopops.ingest.readers._base import SOURCE_ROW, SourceReader, _check_names


class _ParquetReader(SourceReader):
    format = "parquet"

    def __init__(self, path: Path, size: int, *, batch_rows: int) -> None:
        bad = (
            f"{path} is not a readable Parquet file (truncated or corrupt?). Export it again or copy "
            "the whole file once more"
        )
        try:
            pf = pq.ParquetFile(path)
            meta = pf.metadata
            schema = pf.schema_arrow
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise SourceError(f"{bad}. Details: {exc}") from exc
        try:
            # A cut-out middle keeps a valid footer: check that every column chunk lies inside the file.
            for g in range(meta.num_row_groups):
                group = meta.row_group(g)
                for c in range(group.num_columns):
                    chunk = group.column(c)
                    first = chunk.dictionary_page_offset or chunk.data_page_offset
                    if first is not None and first + chunk.total_compressed_size > size:
                        raise SourceError(
                            f"{bad}. Details: row group {g} ends at byte "
                            f"{first + chunk.total_compressed_size:,} but the file has {size:,} bytes."
                        )
        finally:
            pf.close()
        columns = _check_names(path, list(schema.names), "the Parquet schema", header_row=False)
        super().__init__(path, columns, batch_rows=batch_rows)
        self._schema = schema
        self._num_rows = meta.num_rows

    @property
    def schema(self) -> pa.Schema:
        """The schema of every batch: the file's own column types plus ``_source_row``."""
        fields = [self._schema.field(i).with_name(name) for i, name in enumerate(self.columns)]
        return pa.schema([*fields, pa.field(SOURCE_ROW, pa.int64())])

    def _batches(self) -> Iterator[pa.RecordBatch]:
        names = [*self.columns, SOURCE_ROW]
        done = 0
        try:
            pf = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{self.path} is not a readable Parquet file (truncated or corrupt?): {exc}") from exc
        try:
            it = pf.iter_batches(batch_size=self._batch_rows)
            while True:
                try:
                    batch = next(it)
                except StopIteration:
                    break
                except (pa.ArrowException, OSError, ValueError) as exc:
                    raise SourceError(
                        f"{self.path} is not a readable Parquet file (truncated or corrupt?): reading "
                        f"failed after row {done:,} of {self._num_rows:,}: {exc}. Export the file again."
                    ) from exc
                rows = pa.array(np.arange(done + 1, done + batch.num_rows + 1, dtype=np.int64))
                done += batch.num_rows
                yield pa.RecordBatch.from_arrays([*batch.columns, rows], names=names)
        finally:
            pf.close()

