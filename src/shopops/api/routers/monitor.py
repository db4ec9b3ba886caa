"""Live monitoring: events in (``POST /events``), the live stream (SSE), alerts, acknowledgements and silences."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.concurrency import run_in_threadpool

from shopops.api._auth import require
from shopops.api._common import CtxDep, json_bytes, json_response, live, store_token
from shopops.api._errors import PayloadTooLargeError
from shopops.api._keys import Principal
from shopops.errors import ShopopsError
from shopops.monitor import IntakeError, Monitor, MonitorConfig, decode_json, load_rules

__all__ = ["MonitorSettings", "router"]

_start_lock = threading.Lock()


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    """Start the monitor with the service where it was used before, so a crash's spool lands at once; stop it."""
    ctx = getattr(app.state, "ctx", None)
    if ctx is not None and (ctx.shop.data_dir / "monitor" / "spool").is_dir():
        await run_in_threadpool(_start, app)
    yield
    monitor: Monitor | None = getattr(app.state, "monitor", None)
    if monitor is not None:
        await run_in_threadpool(monitor.close)
        app.state.monitor = None


router = APIRouter(tags=["monitor"], lifespan=_lifespan)


class MonitorSettings(BaseSettings):
    """How the service's monitor runs (environment variables ``SHOPOPS_MONITOR_*``)."""

    model_config = SettingsConfigDict(env_prefix="SHOPOPS_MONITOR_", extra="ignore")

    clock: str = Field(default="wall", description="wall, or replay: windows close on the replay's clock.")
    rules: Path | None = Field(default=None, description="Alert rule file (TOML); built-in rules when unset.")
    max_batch: int = Field(default=5000, description="Most events one POST /events may carry.")
    land_every_s: float = Field(default=5.0, description="Seconds between two lake micro-batches.")


class Receipt(BaseModel):
    """What the service did with a batch: answered only once the batch is durable."""

    accepted: int
    duplicates: int
    quarantined: int
    durable: bool
    problems: list[dict[str, Any]]


class Silence(BaseModel):
    """Silence one rule's notifications for a while."""

    rule: str = Field(min_length=1, max_length=200)
    minutes: int = Field(ge=1, le=60 * 24 * 30)
    comment: str = Field(default="", max_length=500)


def monitor_of(request: Request) -> Monitor:
    """The service's monitor, started with the service or on first use (it lands what a crash left in the spool)."""
    monitor: Monitor | None = getattr(request.app.state, "monitor", None)
    if monitor is not None:
        return monitor
    return _start(request.app)


def _start(app: Any) -> Monitor:
    with _start_lock:
        monitor: Monitor | None = getattr(app.state, "monitor", None)
        if monitor is None:
            settings = MonitorSettings()
            if settings.clock not in ("wall", "replay"):
                raise ShopopsError(f"SHOPOPS_MONITOR_CLOCK must be wall or replay, not {settings.clock!r}")
            config = MonitorConfig(clock="replay" if settings.clock == "replay" else "wall",
                                   max_batch=settings.max_batch, land_every_s=settings.land_every_s)
            ctx = app.state.ctx
            monitor = Monitor(ctx.shop.data_dir, config=config, rules=load_rules(settings.rules)).start()
            app.state.monitor = monitor
    return monitor


def _decode(body: bytes) -> tuple[list[Any], float | None]:
    try:
        data = decode_json(body)
    except UnicodeDecodeError:
        raise ShopopsError("the body is not UTF-8 text; send JSON") from None
    except json.JSONDecodeError as exc:
        raise ShopopsError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg} "
                           "(nothing of the batch was taken)") from None
    clock = None
    if isinstance(data, dict):
        if not isinstance(data.get("events"), list):
            raise ShopopsError('send a JSON array of events, or {"events": [...]} (nothing was taken)')
        raw_clock = data.get("clock")
        if raw_clock is not None and (isinstance(raw_clock, bool) or not isinstance(raw_clock, int | float)):
            raise ShopopsError("clock must be Unix seconds")
        clock = None if raw_clock is None else float(raw_clock)
        data = data["events"]
    if not isinstance(data, list):
        raise ShopopsError('send a JSON array of events, or {"events": [...]} (nothing was taken)')
    return data, clock


@router.post("/events", response_model=Receipt, summary="Post a batch of events (answered once durable)",
             responses={413: {"description": "batch too large"}, 503: {"description": "batch not taken"}})
async def post_events(request: Request, who: Annotated[Principal, Depends(require("events:write"))]) -> Any:
    """Take up to ``max_batch`` events, answered once the batch is durable.

    Bad events are quarantined with their reason and never stop the batch; repeats of an ``event_id`` are
    dropped. A 503 means the batch was not taken.
    """
    monitor: Monitor | None = getattr(request.app.state, "monitor", None)
    if monitor is None:
        monitor = await run_in_threadpool(monitor_of, request)
    body = await request.body()
    items, clock = _decode(body)
    if len(items) > monitor.config.max_batch:
        raise PayloadTooLargeError(f"a batch holds at most {monitor.config.max_batch:,} events, this one "
                                   f"{len(items):,}; split it (nothing was taken)")
    try:
        receipt = await run_in_threadpool(monitor.submit, items, source=f"http:{who.key_id}", clock=clock)
    except IntakeError as exc:
        return JSONResponse({"error": str(exc), "status": 503, "taken": False}, status_code=503)
    request.state.audit_detail = {"accepted": receipt.accepted, "duplicates": receipt.duplicates,
                                  "quarantined": receipt.quarantined}
    return {"accepted": receipt.accepted, "duplicates": receipt.duplicates, "quarantined": receipt.quarantined,
            "durable": receipt.durable, "problems": receipt.problems}


@router.get("/monitor/snapshot", response_model=dict[str, Any],
            summary="The live KPIs, series, alerts and intake counters",
            dependencies=[Depends(require("monitor:read"))])
async def snapshot(ctx: CtxDep, request: Request) -> Any:
    """What the Live page shows, once (computed once per change of the monitor's state, at most a second old)."""
    monitor = await _monitor(request)
    return await live(ctx, ("monitor/snapshot", id(monitor)), monitor.snapshot_token(), monitor.snapshot)


@router.get("/monitor/stream", summary="The live snapshot as Server-Sent Events",
            dependencies=[Depends(require("monitor:read"))])
async def stream(request: Request) -> StreamingResponse:
    """A ``text/event-stream``: a snapshot at once, then one on every change (and a comment every 15 s)."""
    monitor = await run_in_threadpool(monitor_of, request)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=8)

    def push(snap: dict[str, Any]) -> None:
        def put() -> None:
            if queue.full():
                queue.get_nowait()  # a slow reader gets the newest snapshot, not a backlog
            queue.put_nowait(snap)

        loop.call_soon_threadsafe(put)

    unsubscribe = monitor.subscribe(push)
    first = await run_in_threadpool(monitor.snapshot)

    async def events() -> Any:
        try:
            yield f"event: snapshot\ndata: {json.dumps(first, default=str)}\n\n"
            while not await request.is_disconnected():
                try:
                    snap = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield f": keep-alive {time.time():.0f}\n\n"
                    continue
                yield f"event: snapshot\ndata: {json.dumps(snap, default=str)}\n\n"
        finally:
            unsubscribe()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/monitor/alerts", response_model=list[dict[str, Any]], summary="Alerts, newest first",
            dependencies=[Depends(require("monitor:read"))])
async def alerts(ctx: CtxDep, request: Request,
                 state: Annotated[str | None, Query(pattern="^(firing|acknowledged|resolved|open)$")] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Any:
    """Every alert with its lifecycle (firing → acknowledged → resolved); kept until the store's next write."""
    monitor = await _monitor(request)
    return await live(ctx, ("monitor/alerts", id(monitor), state, limit), store_token(ctx),
                      lambda: monitor.book.alerts(state, limit))


@router.post("/monitor/alerts/{alert_id}/ack", summary="Acknowledge an alert")
async def acknowledge(request: Request, alert_id: int,
                      who: Annotated[Principal, Depends(require("monitor:operate"))]) -> dict[str, Any]:
    """Mark a firing alert as acknowledged by the caller (it resolves when its condition clears)."""
    monitor = await run_in_threadpool(monitor_of, request)
    alert = await run_in_threadpool(monitor.book.acknowledge, alert_id, who.name)
    await run_in_threadpool(monitor.alerts_changed)
    request.state.audit_detail = {"alert_id": alert_id}
    return alert


@router.post("/monitor/silences", summary="Silence a rule's notifications")
async def silence(request: Request, body: Silence,
                  who: Annotated[Principal, Depends(require("monitor:operate"))]) -> dict[str, Any]:
    """No notification for ``rule`` for ``minutes`` minutes (the alerts are still recorded)."""
    monitor = await run_in_threadpool(monitor_of, request)
    names = {r.name for r in monitor.ruleset.rules}
    if body.rule not in names:
        raise ShopopsError(f"no rule named {body.rule!r}; the rules are: {', '.join(sorted(names))}")
    out = await run_in_threadpool(monitor.book.add_silence, body.rule, time.time() + body.minutes * 60, who.name,
                                  body.comment)
    request.state.audit_detail = {"rule": body.rule, "minutes": body.minutes}
    return out


@router.get("/monitor/status", response_model=dict[str, Any], summary="Intake counters, consumers and their offsets",
            dependencies=[Depends(require("monitor:read"))])
async def status(ctx: CtxDep, request: Request) -> Any:
    """Counters of this service's intake, the state of every consumer, the offsets landed."""
    monitor = await _monitor(request)

    def stored() -> dict[str, Any]:  # what the store holds: read once per write to it
        offsets = monitor.book.store.frame("SELECT * FROM monitor_offset ORDER BY 1, 2")
        return {"components": monitor.book.status(), "offsets": offsets.to_dict(orient="records")}

    body = await ctx.answers.get(("monitor/status", id(monitor)), store_token(ctx), lambda: json_bytes(stored()))
    # The counters and the clock are in memory and move all the time: read them on every request.
    return json_response(json_bytes(
        {"intake": {**monitor.counters, "late": monitor.windows.late}, "clock": monitor.clock(),
         **orjson.loads(body), "rules": [r.name for r in monitor.ruleset.rules],
         "skipped_rules": monitor.evaluator.skipped if monitor.evaluator else [], "data_dir": str(ctx.shop.data_dir)}))


async def _monitor(request: Request) -> Monitor:
    """The service's monitor, started in the thread pool on first use (starting it lands the spool)."""
    monitor: Monitor | None = getattr(request.app.state, "monitor", None)
    return monitor if monitor is not None else await run_in_threadpool(monitor_of, request)
