"""Data quality: ingest reports, quarantined rows and the ingest runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from shopops.api._auth import require
from shopops.api._common import Ctx, CtxDep, PagingDep, TextFilter, json_bytes, json_response, paged
from shopops.api.schemas import IngestRunRow, Page, QualityRow, QuarantineRow
from shopops.lake import Lake

__all__ = ["router"]

router = APIRouter(tags=["data quality"])
_read = [Depends(require("quality:read"))]


@router.get("/quality", response_model=Page[QualityRow], dependencies=_read, summary="Ingest reports")
async def quality(ctx: CtxDep, page: PagingDep, table: TextFilter = None) -> Any:
    """Rows in / ok / quarantined per ingest batch and table, newest batch first."""
    select = ("SELECT batch_id, seq, committed_at, adapter, source, table_name, rows_in, rows_ok, rows_quarantined "
              "FROM ingest_report")
    return await paged(ctx, select, ["(?::VARCHAR IS NULL OR table_name = ?)"], [table, table],
                 "seq DESC, table_name", page, "quality")


@router.get("/quality/quarantine", response_model=Page[QuarantineRow], dependencies=_read,
            summary="Quarantined rows")
async def quarantine(ctx: CtxDep, page: PagingDep, table: TextFilter = None,
               reason: Annotated[str | None, Query(max_length=200, description="Part of the reason.")] = None) -> Any:
    """Rejected rows with their reason and source file/row."""
    select = ("SELECT table_name, _source_file AS source_file, _source_row AS source_row, _reason AS reason, "
              "_raw_text AS raw_text FROM quarantine")
    where = ["(?::VARCHAR IS NULL OR table_name = ?)", "(?::VARCHAR IS NULL OR contains(_reason, ?))"]
    return await paged(ctx, select, where, [table, table, reason, reason], "table_name, source_file, source_row", page,
                 "quarantine")


@router.get("/ingest/runs", response_model=list[IngestRunRow], dependencies=_read, summary="Ingest runs")
async def runs(ctx: CtxDep) -> Any:
    """The committed ingest batches, newest first.

    Kept per set of committed batches (their names are one directory listing): reading every commit
    record again on each request cost more than the rest of the answer.
    """
    key = ("ingest_runs", tuple(sorted(Lake(ctx.shop.data_dir).batch_ids())))
    identity = ctx.reader.identity() if ctx.reader.exists() else None  # the page cache lives per build
    body = ctx.reader.peek_page(key) if identity is not None else None
    if body is None:
        body = await run_in_threadpool(_runs_body, ctx)
        if identity is not None:
            ctx.reader.put_page(identity, key, body)
    return json_response(body)


def _runs_body(ctx: Ctx) -> bytes:
    return json_bytes([{"batch_id": b.batch_id, "seq": b.seq, "committed_at": b.committed_at, "adapter": b.adapter,
                        "tables": {t: int(v.get("clean_rows", 0)) for t, v in b.tables.items()}}
                       for b in reversed(ctx.shop.batches())])
