"""What the routers share: the service context, paging and filters, JSON or CSV answers.

Read answers are pure functions of the warehouse build and the query, so a finished JSON page is kept
per build (:meth:`Reader.cached_page`) and written straight as bytes: a repeated request costs a
dictionary look-up, and a new one skips the response model's second pass over the rows (the rows are
already JSON-ready; the OpenAPI schema still documents them).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import cachetools
import numpy as np
import orjson
import pandas as pd
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from shopops._csv import csv_text
from shopops.api._keys import KeyStore
from shopops.api._settings import ServiceSettings
from shopops.errors import ShopopsError
from shopops.opstore import GroupCommit
from shopops.shop import Shop
from shopops.warehouse import Identity, Reader, Snapshot

__all__ = ["Answers", "Ctx", "Paging", "Window", "cached_json", "context", "frame_page", "json_bytes",
           "json_response", "kept", "live", "page_of", "paging", "per_build", "records", "store_token", "window"]

T = TypeVar("T")
Format = Literal["json", "csv"]
# Filters are free text bound as SQL parameters; the cap only keeps absurd inputs out of the logs.
TextFilter = Annotated[str | None, Query(max_length=200)]


class Answers:
    """Finished JSON answers, each kept with the token of the data it was computed from.

    A token is whatever changes when the answer's data changes: the warehouse build's identity, the
    operational store's :func:`~shopops.opstore.change_token`, the live monitor's state. A request
    whose token equals the kept one is answered from memory on the event loop. On a miss the answer
    is computed once in the thread pool, however many requests wait for it (50 dashboards asking for a
    click model on a new build must not fit it 50 times). The token is taken before computing, so a
    change during the computation makes the next request compute again. At most ``max_bytes`` of
    answers are kept, least recently used go first.
    """

    def __init__(self, max_bytes: int = 256 << 20) -> None:
        self._done: cachetools.LRUCache[Hashable, tuple[Hashable, bytes]] = cachetools.LRUCache(
            maxsize=max_bytes, getsizeof=lambda item: len(item[1]) + 200)
        self._running: dict[tuple[Hashable, Hashable, int], asyncio.Task[bytes]] = {}
        self._lock = threading.Lock()

    def peek(self, key: Hashable, token: Hashable) -> bytes | None:
        """The answer kept for ``key`` if it was computed under ``token``."""
        with self._lock:
            found = self._done.get(key)
        return found[1] if found is not None and found[0] == token else None

    async def get(self, key: Hashable, token: Hashable, compute: Callable[[], bytes], inline: bool = False) -> bytes:
        """The answer for ``key`` under ``token``: kept, being computed (awaited), or ``compute()`` now.

        ``inline``: compute on the event loop, for answers of a few milliseconds, where the thread hop and
        the GIL contention of up to 40 threads cost more than the computation.
        """
        body = self.peek(key, token)
        if body is not None:
            return body
        if inline:
            body = compute()
            self._keep(key, token, body)
            return body
        loop = asyncio.get_running_loop()
        running = (key, token, id(loop))
        task = self._running.get(running)
        if task is None:
            # A task of its own, not the first caller's: a client that goes away must not cancel the
            # computation the others wait for.
            task = self._running[running] = loop.create_task(self._compute(running, compute))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved even if nobody waits
        return await asyncio.shield(task)

    async def _compute(self, running: tuple[Hashable, Hashable, int], compute: Callable[[], bytes]) -> bytes:
        try:
            body = await run_in_threadpool(compute)
        finally:
            self._running.pop(running, None)
        self._keep(running[0], running[1], body)
        return body

    def _keep(self, key: Hashable, token: Hashable, body: bytes) -> None:
        if len(body) + 200 <= self._done.maxsize:
            with self._lock:
                self._done[key] = (token, body)


@dataclass
class Ctx:
    """Everything a request handler needs."""

    shop: Shop
    reader: Reader
    keys: KeyStore
    settings: ServiceSettings
    answers: Answers = field(default_factory=Answers)
    #: Short writes to the operational store (audit entries, checkout decisions), committed in groups.
    writes: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        self.writes = GroupCommit(self.keys.store)


async def context(request: Request) -> Ctx:
    """The service context of the app handling ``request``."""
    ctx: Ctx = request.app.state.ctx
    return ctx


@dataclass
class Paging:
    """Which rows and in which format."""

    limit: int
    offset: int
    fmt: Format


async def paging(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1_000_000, description="Rows per page (JSON: at most page_max).")] = 100,
    offset: Annotated[int, Query(ge=0, le=10**12)] = 0,
    fmt: Annotated[Format, Query(alias="format", description="json, or csv for a download.")] = "json",
) -> Paging:
    """Paging parameters; a JSON page holds at most ``page_max`` rows, a CSV download ``export_max``."""
    settings: ServiceSettings = request.app.state.ctx.settings
    cap = settings.export_max if fmt == "csv" else settings.page_max
    if limit > cap:
        raise ShopopsError(f"limit: at most {cap:,} rows per {fmt} answer, not {limit:,}")
    return Paging(limit, offset, fmt)


@dataclass
class Window:
    """A date range (inclusive)."""

    start: date | None
    end: date | None


async def window(
    start: Annotated[date | None, Query(description="First day, YYYY-MM-DD.")] = None,
    end: Annotated[date | None, Query(description="Last day, YYYY-MM-DD.")] = None,
) -> Window:
    """The date-range filter; ``start`` after ``end`` is an error."""
    if start is not None and end is not None and start > end:
        raise ShopopsError(f"start {start} is after end {end}; swap them")
    return Window(start, end)


CtxDep = Annotated[Ctx, Depends(context)]
PagingDep = Annotated[Paging, Depends(paging)]
WindowDep = Annotated[Window, Depends(window)]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready dicts (NaN and NaT become None)."""
    cols = list(df.columns)
    return [{c: _plain(v) for c, v in zip(cols, row, strict=True)} for row in df.itertuples(index=False, name=None)]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (dates and times in ISO 8601, as the response models write them).

    orjson: a products page of 100 rows took 0.28 ms in the standard library's encoder, a fifth of the
    whole request. A missing (NaN or infinite) number is written as null.
    """
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY)


def json_response(body: bytes) -> Response:
    """A JSON answer of ready bytes."""
    return Response(body, media_type="application/json")


def cached_json(ctx: Ctx, key: Hashable, compute: Callable[[Snapshot], Any]) -> Response:
    """The JSON answer of ``compute(snapshot)``, kept per warehouse build under ``key``.

    ``key`` must hold every input of the answer (endpoint, filters, paging).
    """
    return json_response(ctx.reader.cached_page(key, lambda snap: json_bytes(compute(snap))))


async def per_build(reader: Reader, key: Hashable, load: Callable[[], T]) -> T:
    """What ``load`` keeps in the Reader's cache under ``key``: from memory, or loaded in the thread pool.

    The handlers that answer from memory run on the event loop (no thread hop per request); only
    reading the warehouse, once per build, goes to a thread.
    """
    found: T | None = reader.peek(key)
    if found is None:
        found = await run_in_threadpool(load)
    return found


def page_of(ctx: Ctx, identity: Identity | None, key: Hashable, compute: Callable[[], Any]) -> Response:
    """The JSON answer of ``compute()`` (from data of the build ``identity``), kept per build under ``key``.

    ``compute`` may return the finished JSON as bytes (the in-memory indexes write their pages themselves).
    """
    body = ctx.reader.peek_page(key)
    if body is None:
        answer = compute()
        body = answer if isinstance(answer, bytes) else json_bytes(answer)
        if identity is not None:
            ctx.reader.put_page(identity, key, body)
    return json_response(body)


async def kept(ctx: Ctx, key: Hashable, compute: Callable[[], Any], page: Paging | None = None,
               model: Any = None, inline: bool = False) -> Any:
    """The answer of ``compute()`` (sync), kept per warehouse build under ``key`` as finished JSON.

    A kept answer is served on the event loop; ``compute`` runs in the thread pool, once per build and
    key however many requests ask at once (:class:`Answers`). ``model`` is the endpoint's response
    model: the answer is validated and dumped through it, as FastAPI would (a kept answer bypasses
    FastAPI's own serialisation). CSV downloads are computed each time. ``key`` must hold every input
    of the answer. ``inline``: see :meth:`Answers.get`.
    """
    if page is not None and page.fmt == "csv":
        return await run_in_threadpool(compute)
    # The build is taken before computing: never file an answer under a newer build.
    return await live(ctx, ("build", key), ctx.reader.identity(), compute, model, inline)


async def live(ctx: Ctx, key: Hashable, token: Hashable, compute: Callable[[], Any], model: Any = None,
               inline: bool = False) -> Response:
    """The JSON answer of ``compute()`` (sync), kept while ``token`` stays the same (see :class:`Answers`).

    ``token`` must change whenever the answer's data changes, and be taken before computing; ``key``
    must hold every input of the answer. ``model`` as for :func:`kept`.
    """
    def make() -> bytes:
        value = compute()
        if model is not None:
            adapter = _adapter(model)
            value = adapter.dump_python(adapter.validate_python(value), mode="json", by_alias=True)
        return json_bytes(value)

    return json_response(await ctx.answers.get(key, token, make, inline))


def store_token(ctx: Ctx) -> Hashable:
    """The operational store's change token: changes on every commit, by any process."""
    from shopops.opstore import OperationalStore

    return OperationalStore.for_data_dir(ctx.shop.data_dir).change_token()


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def csv_response(df: pd.DataFrame, filename: str) -> Response:
    """A CSV download of ``df``, its text cells escaped against formula injection."""
    return Response(csv_text(df), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


def frame_page(df: pd.DataFrame, total: int, page: Paging, filename: str) -> Any:
    """``df`` (already limited) as a JSON page or a CSV download."""
    if page.fmt == "csv":
        return csv_response(df, filename)
    return {"items": records(df), "total": total, "limit": page.limit, "offset": page.offset}


def _paged_sync(ctx: Ctx, select: str, clause: str, params: list[Any], order_by: str, page: Paging,
                filename: str, key: Hashable) -> Any:
    if page.fmt == "csv":
        with ctx.reader.snapshot() as snap:
            df = snap.frame(f"{select}{clause} ORDER BY {order_by} LIMIT ? OFFSET ?",
                            [*params, page.limit, page.offset])
        return frame_page(df, 0, page, filename)

    # The total and the page come from one snapshot, so a warehouse swapped in between cannot pair
    # the new build's rows with the old build's total.
    # A JSON page counts its total in the same query (a window count over the filtered rows), so the
    # grouping behind it runs once, not twice; only a page past the end needs a count of its own.
    def compute(snap: Snapshot) -> dict[str, Any]:
        df = snap.frame(f"SELECT *, count(*) OVER () AS _total FROM ({select}{clause}) "
                        f"ORDER BY {order_by} LIMIT ? OFFSET ?", [*params, page.limit, page.offset])
        if len(df):
            total = int(df["_total"].iloc[0])
        else:
            total = int(snap.scalar(f"SELECT count(*) AS n FROM ({select}{clause})", params))
        return {"items": records(df.drop(columns="_total")), "total": total, "limit": page.limit,
                "offset": page.offset}

    return cached_json(ctx, key, compute)


async def paged(ctx: Ctx, select: str, where: list[str], params: list[Any], order_by: str, page: Paging,
                filename: str) -> Any:
    """Run ``select`` with the ``where`` conditions (bound ``params``), ordered and paged.

    ``select`` is ``SELECT … FROM …`` without WHERE; every user value must be in ``params``. A JSON
    page kept for this build is answered on the event loop; anything else runs in the thread pool
    (a thread hop per request made the fast answers wait behind the GIL of up to 40 threads).
    """
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    key = ("paged", select, clause, tuple(params), order_by, page.limit, page.offset)
    if page.fmt == "json":
        body = ctx.reader.peek_page(key)
        if body is not None:
            return json_response(body)
    return await run_in_threadpool(_paged_sync, ctx, select, clause, params, order_by, page, filename, key)
