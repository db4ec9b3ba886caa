"""Rows of an in-memory index as JSON bytes, made once per row and build."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa

__all__ = ["JsonRows", "row_json"]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def row_json(value: Any) -> bytes:
    """Rows as Arrow gives them (``to_pylist``) as JSON: decimals as numbers, times in ISO 8601."""
    return orjson.dumps(value, default=_default)


@dataclass
class JsonRows:
    """The rows of ``table`` (by position) as JSON, kept up to ``limit`` rows.

    Turning Arrow values into Python objects was most of a page's cost (0.7 of 0.84 ms for an order
    page), and busy pages repeat the same rows (the biggest spenders, the newest orders).
    """

    table: pa.Table
    #: At most this many rows' JSON is kept (about 250 bytes each).
    limit: int = 200_000
    _made: dict[int, bytes] = field(default_factory=dict)

    def rows(self, positions: npt.NDArray[np.int64]) -> list[bytes]:
        """The JSON of each row at ``positions``."""
        wanted = positions.tolist()
        missing = [p for p in wanted if p not in self._made]
        if not missing:
            return [self._made[p] for p in wanted]
        made = self.table.take(pa.array(missing, pa.int64())).to_pylist()
        fresh = dict(zip(missing, (row_json(r) for r in made), strict=True))
        if len(self._made) + len(fresh) <= self.limit:
            self._made.update(fresh)
        return [self._made.get(p) or fresh[p] for p in wanted]

    def page(self, positions: npt.NDArray[np.int64], total: int, limit: int, offset: int) -> bytes:
        """The API's JSON page (``items``, ``total``, ``limit``, ``offset``) of the rows at ``positions``."""
        items = b",".join(self.rows(positions))
        return b'{"items":[%s],"total":%d,"limit":%d,"offset":%d}' % (items, total, limit, offset)
