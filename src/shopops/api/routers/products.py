"""Products and categories: sales over any date range, filters, one product's sales series.

The sales of a date range come from the running totals of ``agg_sales_cum``
held in memory per build (:func:`shopops.warehouse.sales_index`): two look-ups per product, not a scan
of the order lines. They equal the totals of ``fact_order_line`` (tests/warehouse/test_ranges.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
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
    csv_response,
    page_of,
    per_build,
)
from shopops.api._errors import NotFoundError
from shopops.api.schemas import CategoryRow, Page, ProductDetail, ProductRow
from shopops.warehouse import RangeTotals, SalesIndex, catalogue, sales_index

__all__ = ["router"]

router = APIRouter(tags=["products"], dependencies=[Depends(require("sales:read"))])

ProductSort = Literal["net_sales", "gross_sales", "units", "orders", "product_id", "name"]
Order = Literal["desc", "asc"]
_ROW = ("units", "gross_sales", "net_sales", "orders")


def _name_rank(index: SalesIndex) -> npt.NDArray[np.int64]:
    """Each product's rank by name (byte order, as DuckDB sorts); products without a name rank last."""
    names = index.labels["name"]
    order = sorted(range(len(names)), key=lambda i: (names[i] is None, names[i] or ""))
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    return rank


def _sort_key(t: RangeTotals, sort: str, order: str, index: SalesIndex) -> npt.NDArray[np.int64]:
    """The primary sort key, ascending; ties go to product_id (the keys' own order)."""
    if sort == "product_id":
        return t.positions if order == "asc" else -t.positions
    if sort == "name":  # a missing name comes last in both directions, as DuckDB's NULLS LAST
        rank = _name_rank(index)[t.positions]
        missing = index.labels["name"][t.positions] == None  # noqa: E711 (element-wise)
        return np.where(missing, np.iinfo(np.int64).max, rank if order == "asc" else -rank)
    values = {"net_sales": t.net_micro, "gross_sales": t.gross_micro, "units": t.units, "orders": t.orders}[sort]
    return values if order == "asc" else -values


def _select_products(index: SalesIndex, window: Window, category: str | None, q: str | None, sort: str,
                     order: str) -> tuple[RangeTotals, npt.NDArray[np.int64]]:
    """The range totals and the positions (into them) of the matching products, in answer order."""
    t = index.totals(window.start, window.end)
    keep = np.ones(len(t), dtype=bool)
    if category is not None:
        keep &= index.labels["category"][t.positions] == category
    if q:
        needle = q.lower()
        names = index.labels["name"][t.positions]
        keep &= np.array([needle in str(pid).lower() or needle in (name or "").lower()
                          for pid, name in zip(t.keys, names, strict=True)], dtype=bool)
    chosen = np.flatnonzero(keep)
    primary = _sort_key(t, sort, order, index)[chosen]
    return t, chosen[np.lexsort((t.positions[chosen], primary))]


def _product_rows(index: SalesIndex, t: RangeTotals, rows: npt.NDArray[np.int64]) -> dict[str, list[Any]]:
    pos = t.positions[rows]
    return {"product_id": t.keys[rows].tolist(), "name": index.labels["name"][pos].tolist(),
            "category": index.labels["category"][pos].tolist(),
            **{m: getattr(t, m)[rows].tolist() for m in _ROW}}


def _as_items(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


async def _index(ctx: Ctx, kind: Literal["product", "category"]) -> SalesIndex:
    return await per_build(ctx.reader, ("sales_index", kind), lambda: sales_index(ctx.reader, kind))


@router.get("/products", response_model=Page[ProductRow], summary="Products with their sales")
async def products(ctx: CtxDep, window: WindowDep, page: PagingDep,
                   category: TextFilter = None,
                   q: Annotated[str | None, Query(max_length=200, description="Part of the product id or name.")]
                   = None,
                   sort: ProductSort = "net_sales", order: Order = "desc") -> Any:
    """Sales per product between ``start`` and ``end``, filtered by category and a search text."""
    index = await _index(ctx, "product")

    def rows() -> tuple[dict[str, list[Any]], int]:
        t, chosen = _select_products(index, window, category, q, sort, order)
        return _product_rows(index, t, chosen[page.offset:page.offset + page.limit]), len(chosen)

    if page.fmt == "csv":
        return csv_response(pd.DataFrame(rows()[0]), "products")

    def answer() -> dict[str, Any]:
        columns, total = rows()
        return {"items": _as_items(columns), "total": total, "limit": page.limit, "offset": page.offset}

    return page_of(ctx, index.identity, ("products", window.start, window.end, category, q, sort, order,
                                         page.limit, page.offset), answer)


def _category_page(index: SalesIndex, window: Window, page: Paging) -> tuple[dict[str, list[Any]], int]:
    t = index.totals(window.start, window.end)
    chosen = np.lexsort((t.positions, -t.net_micro))[page.offset:page.offset + page.limit]
    return {"category": t.keys[chosen].tolist(), **{m: getattr(t, m)[chosen].tolist() for m in _ROW}}, len(t)


@router.get("/categories", response_model=Page[CategoryRow], summary="Categories with their sales")
async def categories(ctx: CtxDep, window: WindowDep, page: PagingDep) -> Any:
    """Sales per category between ``start`` and ``end``."""
    index = await _index(ctx, "category")
    if page.fmt == "csv":
        return csv_response(pd.DataFrame(_category_page(index, window, page)[0]), "categories")

    def answer() -> dict[str, Any]:
        columns, total = _category_page(index, window, page)
        return {"items": _as_items(columns), "total": total, "limit": page.limit, "offset": page.offset}

    return page_of(ctx, index.identity, ("categories", window.start, window.end, page.limit, page.offset), answer)


@router.get("/products/{product_id}", response_model=ProductDetail, summary="One product and its sales series")
async def product(ctx: CtxDep, window: WindowDep, product_id: Annotated[str, Path(max_length=200)],
                  grain: Literal["day", "week", "month"] = "week") -> Any:
    """Catalogue data of one product and its units and net sales per ``grain``."""
    info = (await per_build(ctx.reader, "catalogue", lambda: catalogue(ctx.reader))).get(product_id)
    if info is None:
        raise NotFoundError(f"no product with id {product_id!r}")
    index = await _index(ctx, "product")

    def answer() -> dict[str, Any]:
        series = index.series(product_id, grain, window.start, window.end)
        return {**info, "grain": grain,
                "series": [{"period_start": p, "units": u, "net_sales": n} for p, u, n in series]}

    return page_of(ctx, index.identity, ("product", product_id, grain, window.start, window.end), answer)
