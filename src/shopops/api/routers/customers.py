"""Customers, their segments and recommendations."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query

from shopops.api._auth import require
from shopops.api._common import Ctx, CtxDep, PagingDep, TextFilter, WindowDep, frame_page, paged, records
from shopops.api._errors import NotFoundError
from shopops.api.schemas import CustomerRow, Page, RecommendationRow, SegmentRow

__all__ = ["router"]

router = APIRouter(tags=["customers"], dependencies=[Depends(require("customers:read"))])
_COLUMNS = ("customer_id, country, city, channel, acquired_at, first_sale_at, last_sale_at, orders, units, "
            "sales_amount")


def _segments(ctx: Ctx) -> pd.DataFrame:
    frame: pd.DataFrame = ctx.reader.cached("segments", lambda: ctx.shop.segments().frame)
    return frame


@router.get("/customers", response_model=Page[CustomerRow], summary="Customers")
def customers(ctx: CtxDep, window: WindowDep, page: PagingDep, country: TextFilter = None,
              channel: TextFilter = None, customer: TextFilter = None,
              sort: Annotated[str, Query(pattern="^(sales_amount|orders|last_sale_at|customer_id)$")] = "sales_amount",
              ) -> Any:
    """Customers with a last sale between ``start`` and ``end`` (when given), biggest spenders first."""
    where = ["(?::DATE IS NULL OR last_sale_at >= ?)", "(?::DATE IS NULL OR first_sale_at < ?::DATE + 1)",
             "(?::VARCHAR IS NULL OR country = ?)", "(?::VARCHAR IS NULL OR channel = ?)",
             "(?::VARCHAR IS NULL OR customer_id = ?)"]
    params = [window.start, window.start, window.end, window.end, country, country, channel, channel,
              customer, customer]
    direction = "ASC" if sort == "customer_id" else "DESC NULLS LAST"
    return paged(ctx, f"SELECT {_COLUMNS} FROM dim_customer", where, params, f"{sort} {direction}, customer_id",
                 page, "customers")


@router.get("/customers/segments", response_model=Page[SegmentRow], summary="RFM segments")
def segments(ctx: CtxDep, page: PagingDep, segment: TextFilter = None) -> Any:
    """Each customer's recency, frequency, monetary scores and segment."""
    df = _segments(ctx)
    if segment:
        df = df[df["segment"] == segment]
    return frame_page(df.iloc[page.offset:page.offset + page.limit], len(df), page, "segments")


@router.get("/customers/segments/summary", summary="One row per segment")
def segment_summary(ctx: CtxDep) -> list[dict[str, Any]]:
    """Size and value of each segment."""
    df: pd.DataFrame = ctx.reader.cached("segment_summary", lambda: ctx.shop.segment_summary())
    return records(df.reset_index() if df.index.name else df)


@router.get("/customers/{customer_id}", response_model=CustomerRow, summary="One customer")
def customer(ctx: CtxDep, customer_id: Annotated[str, Path(max_length=200)]) -> Any:
    """One customer's purchase summary."""
    df = ctx.reader.frame(f"SELECT {_COLUMNS} FROM dim_customer WHERE customer_id = ?", [customer_id])
    if df.empty:
        raise NotFoundError(f"no customer with id {customer_id!r}")
    return records(df)[0]


@router.get("/customers/{customer_id}/recommendations", response_model=list[RecommendationRow],
            summary="Products to recommend")
def recommendations(ctx: CtxDep, customer_id: Annotated[str, Path(max_length=200)],
                    k: Annotated[int, Query(ge=1, le=100)] = 10) -> Any:
    """The ``k`` products most worth showing this customer, with the model and the reason."""
    known = ctx.reader.frame("SELECT 1 FROM dim_customer WHERE customer_id = ?", [customer_id])
    if known.empty:
        raise NotFoundError(f"no customer with id {customer_id!r}")
    df = ctx.reader.cached(f"recommend:{customer_id}:{k}",
                           lambda: ctx.shop.recommend(customer_id, k=k).frame)
    return records(df)
