"""Products and categories: sales over any date range, filters, one product's sales series."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from shopops.api._auth import require
from shopops.api._common import CtxDep, PagingDep, TextFilter, WindowDep, paged, records
from shopops.api._errors import NotFoundError
from shopops.api.schemas import CategoryRow, Page, ProductDetail, ProductRow
from shopops.warehouse import sales_totals

__all__ = ["router"]

router = APIRouter(tags=["products"], dependencies=[Depends(require("sales:read"))])

_SALES = sales_totals(typed=True)
_IN_WINDOW = "f.is_product AND (?::DATE IS NULL OR f.order_date >= ?) AND (?::DATE IS NULL OR f.order_date <= ?)"
ProductSort = Literal["net_sales", "gross_sales", "units", "orders", "product_id", "name"]
Order = Literal["desc", "asc"]


@router.get("/products", response_model=Page[ProductRow], summary="Products with their sales")
def products(ctx: CtxDep, window: WindowDep, page: PagingDep,
             category: TextFilter = None,
             q: Annotated[str | None, Query(max_length=200, description="Part of the product id or name.")] = None,
             sort: ProductSort = "net_sales", order: Order = "desc") -> Any:
    """Sales per product between ``start`` and ``end``, filtered by category and a search text."""
    select = f"""SELECT f.product_id, any_value(p.name) AS name, any_value(f.category) AS category, {_SALES}
        FROM fact_order_line f LEFT JOIN dim_product p ON p.product_id = f.product_id
        WHERE {_IN_WINDOW} AND (?::VARCHAR IS NULL OR f.category = ?)
        GROUP BY f.product_id"""
    params = [window.start, window.start, window.end, window.end, category, category]
    where = []
    if q:
        where.append("(contains(lower(product_id), lower(?)) OR contains(lower(coalesce(name, '')), lower(?)))")
        params += [q, q]
    sql = f"SELECT * FROM ({select})"
    return paged(ctx, sql, where, params, f"{sort} {order}, product_id", page, "products")


@router.get("/categories", response_model=Page[CategoryRow], summary="Categories with their sales")
def categories(ctx: CtxDep, window: WindowDep, page: PagingDep) -> Any:
    """Sales per category between ``start`` and ``end``."""
    select = f"""SELECT * FROM (SELECT f.category, {_SALES} FROM fact_order_line f
        WHERE {_IN_WINDOW} GROUP BY f.category)"""
    return paged(ctx, select, [], [window.start, window.start, window.end, window.end], "net_sales DESC, category",
                 page, "categories")


@router.get("/products/{product_id}", response_model=ProductDetail, summary="One product and its sales series")
def product(ctx: CtxDep, window: WindowDep, product_id: Annotated[str, Path(max_length=200)],
            grain: Literal["day", "week", "month"] = "week") -> Any:
    """Catalogue data of one product and its units and net sales per ``grain``."""
    info = ctx.reader.frame("SELECT product_id, name, category, unit_price, unit_cost, is_product "
                            "FROM dim_product WHERE product_id = ?", [product_id])
    if info.empty:
        raise NotFoundError(f"no product with id {product_id!r}")
    series = ctx.reader.frame(
        f"""SELECT CAST(date_trunc(?, f.order_date) AS DATE) AS period_start, {_SALES}
            FROM fact_order_line f WHERE f.product_id = ? AND {_IN_WINDOW}
            GROUP BY 1 ORDER BY 1""",
        [grain, product_id, window.start, window.start, window.end, window.end])
    return {**records(info)[0], "grain": grain, "series": records(series[["period_start", "units", "net_sales"]])}
