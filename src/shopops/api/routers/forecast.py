"""Demand forecasts with their quantile bands, and how well each product's model did in its backtest."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Query

from shopops.api._auth import require
from shopops.api._common import Ctx, CtxDep, PagingDep, TextFilter, frame_page, kept
from shopops.api._errors import NotFoundError
from shopops.api.schemas import ForecastAccuracy, ForecastRow, Page

__all__ = ["router"]

router = APIRouter(tags=["forecast"], dependencies=[Depends(require("sales:read"))])
Horizon = Annotated[int, Query(ge=1, le=365)]


def _result(ctx: CtxDep, horizon: int) -> Any:
    """The shop's product forecast, computed once per warehouse build and horizon."""
    return ctx.reader.cached(f"forecast:{horizon}", lambda: ctx.shop.forecast(horizon=horizon, level="product"))


@router.get("/forecast", response_model=Page[ForecastRow], summary="Daily demand forecast per product")
async def forecast(ctx: CtxDep, page: PagingDep, product: TextFilter = None, horizon: Horizon = 28) -> Any:
    """Forecast per product and day: the mean ``yhat`` and quantiles q05…q99 of the same distribution."""

    def compute() -> Any:
        df: pd.DataFrame = _result(ctx, horizon).frame
        if product:
            df = df[df["unique_id"].astype(str) == product]
        return frame_page(df.iloc[page.offset:page.offset + page.limit], len(df), page, "forecast")

    return await kept(ctx, ("forecast", product, horizon, page.limit, page.offset), compute, page,
                      Page[ForecastRow])


@router.get("/forecast/accuracy", response_model=ForecastAccuracy,
            summary="The model chosen for a product and its accuracy in the backtest before the forecast")
async def accuracy(ctx: CtxDep, product: Annotated[str, Query(min_length=1, max_length=200)],
                   horizon: Horizon = 28) -> Any:
    """RMSSE of the chosen model on the product's last days before the forecast (the inner backtest)."""
    return await kept(ctx, ("forecast-accuracy", product, horizon), lambda: _accuracy(ctx, product, horizon),
                      model=ForecastAccuracy)


def _accuracy(ctx: Ctx, product: str, horizon: int) -> ForecastAccuracy:
    result = _result(ctx, horizon)
    model = result.forecaster
    table = ctx.reader.cached(f"forecast-explain:{horizon}", model.explain).set_index("unique_id")
    if product not in table.index:
        raise NotFoundError(f"no forecast for product {product!r}: it has no demand history")
    row = table.loc[product]
    k = int(np.flatnonzero(model.ids_ == product)[0])

    def finite(value: Any) -> float | None:
        return float(value) if value is not None and np.isfinite(value) else None

    return ForecastAccuracy(unique_id=product, demand_class=str(row["demand_class"]), model=str(row["model"]),
                            rmsse=finite(row["rmsse_chosen"]), rmsse_ma=finite(row.get("rmsse_ma")),
                            backtest_days=int(model.inner_days_), p_zero=float(model.zero_[k]),
                            dispersion=float(model.phi_[k]))
