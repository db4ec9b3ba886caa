"""Stock on hand now; the purchase plan and stock alerts once inventory (issue #4) is in the build."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends

from shopops.api._auth import require
from shopops.api._common import Ctx, CtxDep, PagingDep, TextFilter, frame_page, needs_method, paged, records
from shopops.api.schemas import Page, StockRow

__all__ = ["plan_available", "router"]

router = APIRouter(tags=["inventory"], dependencies=[Depends(require("inventory:read"))])


def plan_available(ctx: Ctx) -> bool:
    """Whether this build has Shop.replenish (issue #4)."""
    return callable(getattr(ctx.shop, "replenish", None))


@router.get("/inventory/stock", response_model=Page[StockRow], summary="Stock on hand on the latest day")
def stock(ctx: CtxDep, page: PagingDep, product: TextFilter = None, category: TextFilter = None) -> Any:
    """Each product's stock on the last day of ``fact_inventory``, lowest stock first."""
    select = """SELECT s.product_id, p.name, p.category, s.date, s.location, s.on_hand, s.stock_value
        FROM fact_inventory s LEFT JOIN dim_product p ON p.product_id = s.product_id
        WHERE s.date = (SELECT max(date) FROM fact_inventory)"""
    where = ["(?::VARCHAR IS NULL OR product_id = ?)", "(?::VARCHAR IS NULL OR category = ?)"]
    return paged(ctx, f"SELECT * FROM ({select})", where, [product, product, category, category],
                 "on_hand ASC, product_id", page, "stock")


def _plan(ctx: Ctx) -> pd.DataFrame:
    needs_method(ctx.shop, "replenish", "inventory planning")
    frame: pd.DataFrame = ctx.reader.cached("replenish", lambda: ctx.shop.replenish())  # type: ignore[attr-defined]
    return frame


@router.get("/inventory/plan", summary="Purchase plan (issue #4); format=csv exports the purchase orders")
def plan(ctx: CtxDep, page: PagingDep) -> Any:
    """The purchase plan; 503 until inventory planning is installed."""
    df = _plan(ctx)
    return frame_page(df.iloc[page.offset:page.offset + page.limit], len(df), page, "purchase_orders")


@router.get("/inventory/alerts", summary="Stock alerts (issue #4)")
def alerts(ctx: CtxDep) -> list[dict[str, Any]]:
    """Stock alerts; 503 until inventory planning is installed."""
    needs_method(ctx.shop, "stock_alerts", "inventory alerts")
    df: pd.DataFrame = ctx.reader.cached("alerts", lambda: ctx.shop.stock_alerts())  # type: ignore[attr-defined]
    return records(df)
