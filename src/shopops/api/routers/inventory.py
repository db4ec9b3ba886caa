"""Stock on hand now, today's purchase plan, its purchase orders and the stock alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query

from shopops.api._auth import require
from shopops.api._common import Ctx, CtxDep, Paging, PagingDep, TextFilter, frame_page, kept, paged
from shopops.api.schemas import Page, StockRow

if TYPE_CHECKING:
    from shopops.inventory import ReplenishmentPlan

__all__ = ["router"]

router = APIRouter(tags=["inventory"], dependencies=[Depends(require("inventory:read"))])


@router.get("/inventory/stock", response_model=Page[StockRow], summary="Stock on hand on the latest day")
async def stock(ctx: CtxDep, page: PagingDep, product: TextFilter = None, category: TextFilter = None) -> Any:
    """Each product's stock on the last day of ``fact_inventory``, lowest stock first."""
    select = """SELECT s.product_id, p.name, p.category, s.date, s.location, s.on_hand, s.stock_value
        FROM fact_inventory s LEFT JOIN dim_product p ON p.product_id = s.product_id
        WHERE s.date = (SELECT max(date) FROM fact_inventory)"""
    where = ["(?::VARCHAR IS NULL OR product_id = ?)", "(?::VARCHAR IS NULL OR category = ?)"]
    return await paged(ctx, f"SELECT * FROM ({select})", where, [product, product, category, category],
                 "on_hand ASC, product_id", page, "stock")


def _plan(ctx: Ctx) -> ReplenishmentPlan:
    """Today's purchase plan, computed once per warehouse build."""
    return ctx.reader.cached("replenish", lambda: ctx.shop.replenish())


#: The plan columns a buyer reads first (the full plan has the explanation and demand numbers too).
PLAN_VIEW = ["product_id", "name", "supplier_id", "abc", "xyz", "order_qty", "order_value", "order_date",
             "expected_arrival", "on_hand", "on_order", "reorder_point", "order_up_to", "safety_stock",
             "expected_fill_rate", "explanation"]


@router.get("/inventory/plan", summary="Purchase plan: the products to order now, largest value first")
async def plan(ctx: CtxDep, page: PagingDep, product: TextFilter = None, supplier: TextFilter = None) -> Any:
    """Lines of today's plan with an order (``format=csv`` downloads them)."""
    return await kept(ctx, ("plan", product, supplier, page.limit, page.offset),
                      lambda: _plan_page(ctx, page, product, supplier), page)


def _plan_page(ctx: Ctx, page: Paging, product: str | None, supplier: str | None) -> Any:
    lines = _plan(ctx).lines
    buy = lines[lines["order_qty"] > 0].sort_values(["order_value", "product_id"], ascending=[False, True])
    if product is not None:
        buy = buy[buy["product_id"] == product]
    if supplier is not None:
        buy = buy[buy["supplier_id"] == supplier]
    view = buy[PLAN_VIEW]
    return frame_page(view.iloc[page.offset:page.offset + page.limit], len(view), page, "purchase_plan")


@router.get("/inventory/purchase-orders", summary="Purchase orders of today's plan, one per supplier")
async def purchase_orders(ctx: CtxDep, page: PagingDep) -> Any:
    """The plan's order lines grouped per supplier (``format=csv`` exports them)."""

    def compute() -> Any:
        po = _plan(ctx).purchase_orders
        return frame_page(po.iloc[page.offset:page.offset + page.limit], len(po), page, "purchase_orders")

    return await kept(ctx, ("purchase_orders", page.limit, page.offset), compute, page)


@router.get("/inventory/alerts", summary="Stock alerts: stock-outs before arrival, overstock, dead stock, …")
async def alerts(ctx: CtxDep, page: PagingDep, kind: TextFilter = None,
                 grouped: Annotated[bool, Query(description="One row per low-severity kind (products counts them).")]
                 = False) -> Any:
    """Alerts of today's plan, most money at stake first; ``facts`` holds each message's numbers (JSON)."""

    def compute() -> Any:
        plan = _plan(ctx)
        df = plan.alert_groups() if grouped else plan.alerts
        if kind is not None:
            df = df[df["alert"] == kind]
        return frame_page(df.iloc[page.offset:page.offset + page.limit], len(df), page, "stock_alerts")

    return await kept(ctx, ("stock_alerts", kind, grouped, page.limit, page.offset), compute, page)
