"""KPIs and the overview: KPI cards of the last full period against the one before, and trends."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from shopops._dates import period_end
from shopops.api._auth import require
from shopops.api._common import (
    Ctx,
    CtxDep,
    Paging,
    WindowDep,
    frame_page,
    json_bytes,
    json_response,
    per_build,
    records,
)
from shopops.api.schemas import KpiRow, Overview, Page
from shopops.warehouse import KPI_CARDS

__all__ = ["router"]

router = APIRouter(tags=["kpis"], dependencies=[Depends(require("sales:read"))])
Grain = Literal["day", "week", "month"]


def _change(kind: str, cur: Any, prev: Any) -> float | None:
    if cur is None or prev is None:
        return None
    if kind == "rate":
        return float(cur) - float(prev)
    if prev == 0:
        return None
    return (float(cur) - float(prev)) / abs(float(prev))


@dataclass(frozen=True)
class _Periods:
    """The ``kpi_period`` rows of one grain, sorted, as dicts and as ready JSON (one build)."""

    starts: list[date]
    rows: list[dict[str, Any]]
    json: list[bytes]

    def between(self, start: date | None, end: date | None) -> tuple[int, int]:
        """Positions of the first and past the last period starting between ``start`` and ``end``."""
        first = 0 if start is None else bisect.bisect_left(self.starts, start)
        last = len(self.starts) if end is None else bisect.bisect_right(self.starts, end)
        return first, max(first, last)


def _periods(ctx: Ctx, grain: str) -> _Periods:
    """The KPI periods of ``grain``, read once per build: a window is then two bisections."""

    def load() -> _Periods:
        df = ctx.reader.frame("SELECT * EXCLUDE (grain) FROM kpi_period WHERE grain = ? ORDER BY period_start",
                              [grain])
        rows = [KpiRow.model_validate(r).model_dump(mode="json") | {"period_start": r["period_start"]}
                for r in records(df)]
        return _Periods([r["period_start"] for r in rows], rows, [json_bytes(r) for r in rows])

    periods: _Periods = ctx.reader.cached(("kpi_periods", grain), load)
    return periods


def _span(ctx: Ctx) -> tuple[date | None, date | None, str | None]:
    """The first and last order day, and when the warehouse was built (once per build)."""

    def load() -> tuple[date | None, date | None, str | None]:
        span = ctx.reader.frame("SELECT min(order_date) AS lo, max(order_date) AS hi FROM fact_order")
        lo = span["lo"].iloc[0] if len(span) else None
        hi = span["hi"].iloc[0] if len(span) else None
        meta = ctx.reader.meta()
        return (None if lo is None or str(lo) == "NaT" else lo, None if hi is None or str(hi) == "NaT" else hi,
                meta.get("built_at"))

    found: tuple[date | None, date | None, str | None] = ctx.reader.cached("order_span", load)
    return found


def compute_overview(ctx: Ctx, grain: str, start: date | None, end: date | None) -> dict[str, Any]:
    """The overview as plain data (cached per warehouse build by the endpoint)."""
    lo, hi, built_at = _span(ctx)
    periods = _periods(ctx, grain)
    first, last = periods.between(start, end)
    rows = periods.rows[first:last]
    notes: list[str] = []
    partial_from = None
    current: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None
    if rows:
        last_day = min(hi, end) if (hi is not None and end is not None) else (hi or end)
        full = [i for i, r in enumerate(rows) if last_day is None or period_end(r["period_start"], grain) <= last_day]
        idx = full[-1] if full else len(rows) - 1
        if not full:
            notes.append("no full period in the range: the current period is partial")
        current = rows[idx]
        previous = rows[idx - 1] if idx > 0 else None
        partial_from = rows[idx + 1]["period_start"] if idx + 1 < len(rows) else None
        if previous is None:
            notes.append("no earlier period in the range, so there is no comparison")
    cards = []
    for card in KPI_CARDS:
        cur = current.get(card.key) if current else None
        prev = previous.get(card.key) if previous else None
        cards.append({"key": card.key, "kind": card.kind, "value": cur, "previous": prev,
                      "change": _change(card.kind, cur, prev),
                      "change_unit": "points" if card.kind == "rate" else "relative",
                      "higher_is_better": card.higher_is_better})
    return {
        "grain": grain,
        "period_start": current["period_start"] if current else None,
        "previous_start": previous["period_start"] if previous else None,
        "data_first": lo,
        "data_last": hi,
        "currency": ctx.shop.settings.currency,
        "cards": cards,
        "series": rows,
        "partial_from": partial_from,
        "notes": notes,
        "built_at": built_at,
    }


@router.get("/overview", response_model=Overview, summary="KPI cards and trends")
async def overview(ctx: CtxDep, window: WindowDep, grain: Annotated[Grain, Query()] = "month") -> Response:
    """KPI cards of the last full period (against the one before) and the KPI series.

    Cached per warehouse build: computed once (in the thread pool), then served from memory on the event
    loop, so that many clients asking at once cost one query.
    """
    key = ("overview", grain, window.start, window.end)
    body = ctx.reader.peek_page(key)
    if body is None:
        def compute(_snap: object = None) -> bytes:
            return Overview.model_validate(compute_overview(ctx, grain, window.start, window.end)).model_dump_json(
            ).encode()

        identity = ctx.reader.identity()
        if ctx.reader.peek(("kpi_periods", grain)) is not None and ctx.reader.peek("order_span") is not None:
            # A new range of a build whose periods are in memory: a bisection and a few dicts, on the loop.
            body = compute()
            ctx.reader.put_page(identity, key, body)
        else:
            body = await run_in_threadpool(ctx.reader.cached_page, key, compute)
    return Response(body, media_type="application/json")


@router.get("/kpis", response_model=Page[KpiRow], summary="KPIs by period")
async def kpis(ctx: CtxDep, window: WindowDep, grain: Annotated[Grain, Query()] = "month",
         limit: Annotated[int, Query(ge=1, le=100_000)] = 1000, offset: Annotated[int, Query(ge=0, le=10**12)] = 0,
         fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json") -> Any:
    """``kpi_period`` rows of one grain between ``start`` and ``end`` (periods starting in the range)."""
    # The page and its total from one build's rows, read once per build.
    periods = await per_build(ctx.reader, ("kpi_periods", grain), lambda: _periods(ctx, grain))
    first, last = periods.between(window.start, window.end)
    begin = min(first + offset, last)
    stop = min(begin + limit, last)
    if fmt == "csv":
        return frame_page(pd.DataFrame(periods.rows[begin:stop], columns=list(KpiRow.model_fields)), last - first,
                          Paging(limit, offset, fmt), f"kpis_{grain}")
    return json_response(b'{"items":[' + b",".join(periods.json[begin:stop]) + b'],"total":'
                         + str(last - first).encode() + b',"limit":' + str(limit).encode() + b',"offset":'
                         + str(offset).encode() + b"}")
