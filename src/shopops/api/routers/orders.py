"""Orders: filter by date, customer, product and status; one order with its lines."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from shopops.api._auth import require
from shopops.api._common import CtxDep, PagingDep, TextFilter, WindowDep, paged, records
from shopops.api._errors import NotFoundError
from shopops.api.schemas import OrderDetail, OrderRow, Page

__all__ = ["router"]

router = APIRouter(tags=["orders"], dependencies=[Depends(require("orders:read"))])
_COLUMNS = ("order_id, ordered_at, customer_id, country, channel, status, lines, units, gross_sales, net_amount, "
            "is_sale")


@router.get("/orders", response_model=Page[OrderRow], summary="Orders")
def orders(ctx: CtxDep, window: WindowDep, page: PagingDep, customer: TextFilter = None,
           product: TextFilter = None, status: TextFilter = None) -> Any:
    """Order documents between ``start`` and ``end``, newest first."""
    where = ["(?::DATE IS NULL OR order_date >= ?)", "(?::DATE IS NULL OR order_date <= ?)",
             "(?::VARCHAR IS NULL OR customer_id = ?)", "(?::VARCHAR IS NULL OR status = ?)"]
    params: list[Any] = [window.start, window.start, window.end, window.end, customer, customer, status, status]
    if product:
        where.append("order_id IN (SELECT order_id FROM fact_order_line WHERE product_id = ?)")
        params.append(product)
    return paged(ctx, f"SELECT {_COLUMNS} FROM fact_order", where, params, "ordered_at DESC, order_id", page,
                 "orders")


@router.get("/orders/{order_id}", response_model=OrderDetail, summary="One order with its lines")
def order(ctx: CtxDep, order_id: Annotated[str, Path(max_length=200)]) -> Any:
    """An order document and its lines."""
    head = ctx.reader.frame(f"SELECT {_COLUMNS} FROM fact_order WHERE order_id = ?", [order_id])
    if head.empty:
        raise NotFoundError(f"no order with id {order_id!r}")
    lines = ctx.reader.frame("SELECT line_no, product_id, line_type, quantity, unit_price, discount, net_amount "
                             "FROM fact_order_line WHERE order_id = ? ORDER BY line_no", [order_id])
    return {"order": records(head)[0], "lines": records(lines)}
