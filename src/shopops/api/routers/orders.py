"""Orders: filter by date, customer, product and status; one order with its lines; triage and its queue.

The triage endpoints come first: ``/orders/{order_id}`` would otherwise take ``/orders/queue``.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shopops.api._auth import require
from shopops.api._common import (
    Ctx,
    CtxDep,
    PagingDep,
    TextFilter,
    WindowDep,
    json_response,
    kept,
    live,
    page_of,
    paged,
    per_build,
    records,
    store_token,
)
from shopops.api._errors import NotFoundError
from shopops.api.schemas import OrderDetail, OrderRow, Page
from shopops.warehouse import line_index, order_index

__all__ = ["router"]

router = APIRouter(tags=["orders"], dependencies=[Depends(require("orders:read"))])
_COLUMNS = ("order_id, ordered_at, customer_id, country, channel, status, lines, units, gross_sales, net_amount, "
            "is_sale")
_DECIDE = [Depends(require("orders:decide"))]


class TriageOrder(BaseModel):
    """An order at checkout: what the rules and scores look at (the customer's history is looked up)."""

    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(min_length=1, max_length=200)
    customer_id: str | None = Field(default=None, max_length=200)
    ordered_at: datetime | None = Field(default=None, description="default: now; with a zone, converted to UTC")
    order_value: float = Field(ge=0, le=1e9)
    units: int = Field(ge=1, le=1_000_000)
    lines: int = Field(default=1, ge=1, le=10_000)
    coupon: bool = False
    payment_type: str = Field(default="card", max_length=50)
    channel: str = Field(default="web", max_length=50)
    ship_country: str = Field(max_length=100)
    ship_city: str | None = Field(default=None, max_length=100, description="destination city (its route history)")
    carrier: str | None = Field(default=None, max_length=100)
    warehouse: str | None = Field(default=None, max_length=100)
    service: Literal["standard", "express"] = "standard"
    address_check: Literal["ok", "partial", "fail"] = "ok"
    promise_days: float = Field(default=3.0, ge=0, le=365)
    installments: int = Field(default=1, ge=1, le=100)
    freight: float = Field(default=0.0, ge=0, le=1e7)


class TriageDecision(BaseModel):
    """The decision on one order, with its scores and reasons."""

    order_id: str
    action: str
    reason: str
    rule: str
    flags: str
    risk: float
    late_risk: float
    delivery_days_p50: float
    delivery_days_p90: float
    reasons: str
    model_version: str
    stored: bool = Field(description="false when the order had been decided before (the stored decision is returned)")


class Review(BaseModel):
    """A person's decision on a held order."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "cancel"]


def _triage_parts(ctx: Ctx) -> tuple[Any, Any, Any]:
    from shopops.orders import load_rules, load_scorer

    def load() -> tuple[Any, Any, Any]:
        return load_scorer(ctx.shop.data_dir), load_rules(), _decisions(ctx)
    parts: tuple[Any, Any, Any] = ctx.reader.cached("orders:triage", load)
    return parts


def _decisions(ctx: Ctx) -> Any:
    """The stored decisions: the queue, late orders and KPIs read them without a trained model."""
    from shopops.opstore import OperationalStore
    from shopops.orders import DecisionStore

    def load() -> Any:
        # One SQLite connection per server thread: a checkout's decision is one short write.
        return DecisionStore(OperationalStore(OperationalStore.for_data_dir(ctx.shop.data_dir).path, per_thread=True))
    return ctx.reader.cached("orders:decisions", load)


def _checkout(ctx: Ctx) -> Any:
    from shopops.orders import CheckoutContext

    return ctx.reader.cached("orders:checkout", lambda: CheckoutContext(ctx.reader))


@router.post("/orders/triage", response_model=TriageDecision, dependencies=_DECIDE, summary="Triage one order")
async def triage_order(ctx: CtxDep, request: Request, order: TriageOrder) -> Any:
    """Score and decide one order with the live rules, store the decision (idempotent per order id).

    A checkout waits on this answer. Once the scorer, rules and warehouse context are in memory (read
    in the thread pool, once per build), deciding costs well under a millisecond and runs on the
    event loop; the decision is stored in the group commit that also takes the audit entries, and
    the answer goes out once it is committed.
    """
    from shopops.orders import DecisionStore, decide_one

    scorer, rules, store = await per_build(ctx.reader, "orders:triage", lambda: _triage_parts(ctx))
    checkout = await per_build(ctx.reader, "orders:checkout", lambda: _checkout(ctx))
    at = pd.Timestamp(order.ordered_at) if order.ordered_at is not None else pd.Timestamp.now("UTC")
    at = at.tz_convert("UTC").tz_localize(None) if at.tzinfo is not None else at
    decided = decide_one(checkout.features(order.model_dump(exclude={"ordered_at"}), at), rules, scorer)
    decided.update(model_version=scorer.version_, rules_source=rules.source)
    stored = await ctx.writes.run(functools.partial(DecisionStore.insert_one, decision=decided))
    if not stored:  # decided before: the stored decision stands
        row = await run_in_threadpool(store.get, order.order_id)
        return {**{k: row[k] for k in TriageDecision.model_fields if k in row}, "stored": False}
    request.state.audit_detail = {"order_id": order.order_id, "action": decided["action"]}
    return {**{k: decided[k] for k in TriageDecision.model_fields if k in decided}, "stored": True}


@router.get("/orders/queue", response_model=list[dict[str, Any]], summary="Held orders waiting for a person")
async def queue(ctx: CtxDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
    """Held orders, oldest first and within a day riskiest first (kept until the next write to the store)."""
    return await live(ctx, ("orders/queue", limit), store_token(ctx),
                      lambda: records(_decisions(ctx).queue(limit)))


@router.post("/orders/queue/{order_id}", dependencies=_DECIDE, summary="Approve or cancel a held order")
def review(ctx: CtxDep, request: Request, order_id: Annotated[str, Path(max_length=200)], body: Review) -> Any:
    """Record a person's decision (audit-logged); the same decision twice is fine, a different one is 409."""
    from shopops.orders import DecisionConflictError, UnknownOrderError

    store = _decisions(ctx)
    user = getattr(getattr(request.state, "principal", None), "name", None) or "api"
    try:
        row, changed = store.review(order_id, body.decision, str(user))
    except UnknownOrderError as exc:
        raise NotFoundError(str(exc)) from exc
    except DecisionConflictError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    request.state.audit_detail = {"order_id": order_id, "decision": body.decision, "changed": changed}
    return {**row, "changed": changed}


@router.get("/orders/late", response_model=list[dict[str, Any]], summary="Open orders at risk of arriving late")
async def late(ctx: CtxDep, threshold: Annotated[float, Query(ge=0, le=1)] = 0.5,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
    """Decided orders not delivered yet whose late risk is at least ``threshold``, riskiest first."""
    # The decisions (store) and the deliveries (build) decide the answer: both are in its token.
    return await live(ctx, ("orders/late", threshold, limit), (ctx.reader.identity(), store_token(ctx)),
                      lambda: _late(ctx, threshold, limit))


def _late(ctx: Ctx, threshold: float, limit: int) -> list[dict[str, Any]]:
    store = _decisions(ctx)
    frame = store.store.frame("SELECT order_id, ordered_at, late_risk, delivery_days_p50, delivery_days_p90, flags "
                              "FROM orders_decision WHERE late_risk >= ? ORDER BY late_risk DESC LIMIT ?",
                              [threshold, limit * 5])
    if frame.empty:
        return []
    open_ids = ctx.reader.frame("SELECT order_id FROM fact_fulfilment WHERE delivered_at IS NULL "
                                "AND cancelled_at IS NULL AND order_id IN (SELECT unnest(?))",
                                [frame.order_id.tolist()])
    return records(frame[frame.order_id.isin(open_ids.order_id)].head(limit))


@router.get("/orders/kpis", response_model=dict[str, Any], summary="Fulfilment KPIs")
async def kpis(ctx: CtxDep, grain: Annotated[str, Query(pattern="^(day|week)$")] = "week",
               limit: Annotated[int, Query(ge=1, le=5000)] = 60) -> Any:
    """Fulfilment KPIs per week (or day) over every warehouse (order-weighted medians), the backlog, automation."""
    return await live(ctx, ("orders/kpis", grain, limit), (ctx.reader.identity(), store_token(ctx)),
                      lambda: _kpis(ctx, grain, limit))


def _kpis(ctx: Ctx, grain: str, limit: int) -> dict[str, Any]:
    frame = ctx.reader.frame(
        "SELECT period, sum(orders) AS orders, sum(p50_hours_to_ship * orders) / sum(orders) AS p50_hours_to_ship, "
        "sum(p90_hours_to_delivery * orders) / sum(orders) AS p90_hours_to_delivery, "
        "sum(on_time_rate * delivered) / nullif(sum(delivered), 0) AS on_time_rate, sum(cancelled) AS cancelled, "
        "sum(returned) AS returned FROM kpi_fulfilment WHERE grain = ? GROUP BY 1 ORDER BY 1 DESC LIMIT ?",
        [grain, limit])
    backlog = ctx.reader.frame("SELECT day, sum(backlog) AS backlog FROM kpi_backlog_day GROUP BY 1 "
                               "ORDER BY 1 DESC LIMIT ?", [limit])
    if ctx.reader.has("kpi_triage"):  # the decisions as of the last build, per period
        triage = ctx.reader.frame("SELECT period, CAST(sum(decided) AS BIGINT) AS decided, "
                                  "CAST(sum(held) AS BIGINT) AS held, CAST(sum(overridden) AS BIGINT) AS overridden "
                                  "FROM kpi_triage WHERE grain = ? GROUP BY 1", [grain])
        triage["automation_rate"] = 1 - triage.held / triage.decided
        frame = frame.merge(triage, on="period", how="left")
    auto = _decisions(ctx).store.frame("SELECT count(*) AS decided, sum(action <> 'hold') AS automatic "
                                       "FROM orders_decision")
    decided = int(auto.decided.iloc[0] or 0)
    return {"periods": records(frame.iloc[::-1]), "backlog": records(backlog.iloc[::-1]),
            "automation_rate": (float(auto.automatic.iloc[0]) / decided) if decided else None, "decided": decided}


@router.get("/orders/staffing", response_model=dict[str, Any], summary="Staffing forecast")
async def staffing(ctx: CtxDep, weeks: Annotated[int, Query(ge=1, le=8)] = 4) -> Any:
    """Per day: forecast orders, pickers and packers (all shifts) and agents in the peak hour."""
    return await kept(ctx, ("orders/staffing", weeks), lambda: _staffing(ctx, weeks))


def _staffing(ctx: Ctx, weeks: int) -> dict[str, Any]:
    plan = ctx.shop.orders_staffing(weeks=weeks)
    staff = plan.shifts.groupby("day")[["pickers", "packers"]].sum()
    agents = plan.agents.assign(day=plan.agents.ts.dt.normalize()).groupby("day").agents.max().rename("agents_peak")
    days = plan.daily.groupby("day")[["orders", "orders_q90", "messages"]].sum().join(staff).join(agents)
    return {"model": plan.model, "params": plan.params, "days": records(days.reset_index())}


@router.get("/orders", response_model=Page[OrderRow], summary="Orders")
async def orders(ctx: CtxDep, window: WindowDep, page: PagingDep, customer: TextFilter = None,
           product: TextFilter = None, status: TextFilter = None) -> Any:
    """Order documents between ``start`` and ``end``, newest first.

    A JSON page without a product filter comes from the orders held in memory per build
    (:class:`~shopops.warehouse.OrderIndex`): a new date range is two binary searches, not a query.
    """
    if page.fmt == "json" and not product:
        index = await per_build(ctx.reader, "order_index", lambda: order_index(ctx.reader))
        return page_of(ctx, index.identity, ("orders", window.start, window.end, customer, status, page.limit,
                                             page.offset),
                       lambda: index.page_json(window.start, window.end, customer=customer, status=status,
                                               limit=page.limit, offset=page.offset))
    where = ["(?::DATE IS NULL OR order_date >= ?)", "(?::DATE IS NULL OR order_date <= ?)",
             "(?::VARCHAR IS NULL OR customer_id = ?)", "(?::VARCHAR IS NULL OR status = ?)"]
    params: list[Any] = [window.start, window.start, window.end, window.end, customer, customer, status, status]
    if product:
        where.append("order_id IN (SELECT order_id FROM fact_order_line WHERE product_id = ?)")
        params.append(product)
    return await paged(ctx, f"SELECT {_COLUMNS} FROM fact_order", where, params, "ordered_at DESC, order_id", page,
                 "orders")


@router.get("/orders/{order_id}", response_model=OrderDetail, summary="One order with its lines")
async def order(ctx: CtxDep, order_id: Annotated[str, Path(max_length=200)]) -> Any:
    """An order document and its lines: binary searches in the orders and lines held in memory per build."""
    for _ in range(3):  # a build landing between the two look-ups: take both again, from one build
        orders_now = await per_build(ctx.reader, "order_index", lambda: order_index(ctx.reader))
        lines = await per_build(ctx.reader, "line_index", lambda: line_index(ctx.reader))
        if lines.identity == orders_now.identity:
            break
    head = orders_now.row_json(order_id)
    if head is None:
        raise NotFoundError(f"no order with id {order_id!r}")
    # The rows' JSON is the response model's (tests/service/test_ranges_api.py checks it against it).
    return json_response(b'{"order":%s,"lines":%s}' % (head, lines.lines_json(order_id)))
