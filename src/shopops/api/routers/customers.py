"""Customers, their segments and recommendations."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query

from shopops.api._auth import require
from shopops.api._common import (
    Ctx,
    CtxDep,
    Paging,
    PagingDep,
    TextFilter,
    Window,
    WindowDep,
    frame_page,
    json_bytes,
    json_response,
    kept,
    page_of,
    paged,
    per_build,
    records,
)
from shopops.api._errors import NotFoundError
from shopops.api.schemas import CustomerRow, Page, RecommendationRow, SegmentRow
from shopops.warehouse import CustomerSort, customer_index

__all__ = ["router"]

router = APIRouter(tags=["customers"], dependencies=[Depends(require("customers:read"))])
_COLUMNS = ("customer_id, country, city, channel, acquired_at, first_sale_at, last_sale_at, orders, units, "
            "sales_amount")


def _segments(ctx: Ctx) -> pd.DataFrame:
    frame: pd.DataFrame = ctx.reader.cached("segments", lambda: ctx.shop.segments().frame)
    return frame


@router.get("/customers", response_model=Page[CustomerRow], summary="Customers")
async def customers(ctx: CtxDep, window: WindowDep, page: PagingDep, country: TextFilter = None,
                    channel: TextFilter = None, customer: TextFilter = None,
                    sort: Annotated[CustomerSort, Query(pattern="^(sales_amount|orders|last_sale_at|customer_id)$")]
                    = "sales_amount",
                    ) -> Any:
    """Customers with a sale between ``start`` and ``end`` (when given), biggest spenders first.

    A JSON page comes from the customers held in memory per build (:class:`~shopops.warehouse.CustomerIndex`):
    any new date range is a walk along a kept sort order, not a query. A CSV download runs the SQL.
    """
    if page.fmt == "csv":
        return await _customers_csv(ctx, window, page, country, channel, customer, sort)
    index = await per_build(ctx.reader, "customer_index", lambda: customer_index(ctx.reader))
    return page_of(ctx, index.identity,
                   ("customers", window.start, window.end, country, channel, customer, sort, page.limit, page.offset),
                   lambda: index.page_json(window.start, window.end, country=country, channel=channel,
                                           customer=customer, sort=sort, limit=page.limit, offset=page.offset))


async def _customers_csv(ctx: Ctx, window: Window, page: Paging, country: str | None, channel: str | None,
                   customer: str | None, sort: str) -> Any:
    where = ["(?::DATE IS NULL OR last_sale_at >= ?)", "(?::DATE IS NULL OR first_sale_at < ?::DATE + 1)",
             "(?::VARCHAR IS NULL OR country = ?)", "(?::VARCHAR IS NULL OR channel = ?)",
             "(?::VARCHAR IS NULL OR customer_id = ?)"]
    params = [window.start, window.start, window.end, window.end, country, country, channel, channel,
              customer, customer]
    direction = "ASC" if sort == "customer_id" else "DESC NULLS LAST"
    return await paged(ctx, f"SELECT {_COLUMNS} FROM dim_customer", where, params, f"{sort} {direction}, customer_id",
                 page, "customers")


@router.get("/customers/segments", response_model=Page[SegmentRow], summary="RFM segments")
async def segments(ctx: CtxDep, page: PagingDep, segment: TextFilter = None) -> Any:
    """Each customer's recency, frequency, monetary scores and segment."""
    identity = ctx.reader.identity()  # before the load: a page is never filed under a newer build
    df = await per_build(ctx.reader, "segments", lambda: _segments(ctx))
    if segment:
        df = df[df["segment"] == segment]
    if page.fmt == "csv":
        return frame_page(df.iloc[page.offset:page.offset + page.limit], len(df), page, "segments")
    return page_of(ctx, identity, ("segments", segment, page.limit, page.offset),
                   lambda: frame_page(df.iloc[page.offset:page.offset + page.limit], len(df), page, "segments"))


@router.get("/customers/segments/summary", summary="One row per segment")
async def segment_summary(ctx: CtxDep) -> Any:
    """Size and value of each segment."""
    identity = ctx.reader.identity()
    df: pd.DataFrame = await per_build(ctx.reader, "segment_summary",
                                           lambda: ctx.reader.cached("segment_summary", ctx.shop.segment_summary))
    return page_of(ctx, identity, ("segment_summary",),
                   lambda: records(df.reset_index() if df.index.name else df))


async def _customer_row(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    index = await per_build(ctx.reader, "customer_index", lambda: customer_index(ctx.reader))
    row = index.row(customer_id)
    if row is None:
        raise NotFoundError(f"no customer with id {customer_id!r}")
    return row


@router.get("/customers/{customer_id}", response_model=CustomerRow, summary="One customer")
async def customer(ctx: CtxDep, customer_id: Annotated[str, Path(max_length=200)]) -> Any:
    """One customer's purchase summary (from the customers held in memory per build)."""
    return json_response(json_bytes(await _customer_row(ctx, customer_id)))


@router.get("/customers/{customer_id}/recommendations", response_model=list[RecommendationRow],
            summary="Products to recommend")
async def recommendations(ctx: CtxDep, customer_id: Annotated[str, Path(max_length=200)],
                          k: Annotated[int, Query(ge=1, le=100)] = 10) -> Any:
    """The ``k`` products most worth showing this customer, with the model and the reason."""
    await _customer_row(ctx, customer_id)  # 404 for an unknown customer

    def compute() -> Any:
        return records(ctx.shop.recommend(customer_id, k=k).frame)

    # Once the build's recommender is fitted, a customer's answer is about 2 ms of Python: computed on
    # the event loop it no longer queues behind the thread pool's GIL contention (p99 300 ms → see
    # benchmarks/README.md). The fit itself (seconds) always runs in the thread pool.
    return await kept(ctx, ("recommend", customer_id, k), compute, model=list[RecommendationRow],
                      inline=ctx.shop.recommender_fitted())
