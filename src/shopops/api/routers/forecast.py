"""Demand forecasts with their quantile band."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query

from shopops.api._auth import require
from shopops.api._common import CtxDep, PagingDep, TextFilter, frame_page
from shopops.api.schemas import ForecastRow, Page

__all__ = ["router"]

router = APIRouter(tags=["forecast"], dependencies=[Depends(require("sales:read"))])


@router.get("/forecast", response_model=Page[ForecastRow], summary="Daily demand forecast per product")
def forecast(ctx: CtxDep, page: PagingDep, product: TextFilter = None,
             horizon: Annotated[int, Query(ge=1, le=365)] = 28) -> Any:
    """Forecast per product and day with quantiles q05…q99; computed once per warehouse build and horizon."""
    df: pd.DataFrame = ctx.reader.cached(
        f"forecast:{horizon}", lambda: ctx.shop.forecast(horizon=horizon, level="product").frame)
    if product:
        df = df[df["unique_id"].astype(str) == product]
    return frame_page(df.iloc[page.offset:page.offset + page.limit], len(df), page, "forecast")
