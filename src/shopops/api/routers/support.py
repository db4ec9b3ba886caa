"""Customer service: messages to the answer bot (role ``chat``), the hand-off queue (role ``agent``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from shopops.api._auth import require
from shopops.api._common import CtxDep, live, records, store_token
from shopops.api._errors import NotFoundError
from shopops.api._keys import Principal
from shopops.support import SupportStore, UnknownTicketError

__all__ = ["router"]

router = APIRouter(tags=["support"])
ChatCaller = Annotated[Principal, Depends(require("support:chat"))]
AgentCaller = Annotated[Principal, Depends(require("support:agent"))]
TicketId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class MessageIn(BaseModel):
    """A customer message for the bot."""

    text: str = Field(max_length=100_000, description="The message, as the customer wrote it.")
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]*$",
                                        description="The conversation; a new one is started when empty.")
    customer_email: str | None = Field(default=None, max_length=320,
                                       description="The signed-in customer's e-mail (proof of their orders).")
    customer_phone: str | None = Field(default=None, max_length=40, description="The customer's phone (proof).")
    channel: str | None = Field(default="chat", max_length=40)


class EntityOut(BaseModel):
    """Something found in the message, with its span."""

    kind: str
    value: str
    start: int
    end: int


class MessageOut(BaseModel):
    """The bot's reply and why."""

    conversation_id: str
    text: str
    action: Literal["answer", "ask", "refuse", "handoff"]
    language: str
    detected: str
    intent: str
    confidence: float
    runner_up: str
    margin: float
    handoff_reason: str | None
    ticket_id: str | None
    source: dict[str, Any] | None
    looked_up: dict[str, Any] | None
    entities: list[EntityOut]


class ReplyIn(BaseModel):
    """An agent's reply."""

    text: str = Field(min_length=1, max_length=20_000)
    close: bool = False


class BatchIn(BaseModel):
    """Several customer messages, answered one after the other in the order given."""

    messages: list[MessageIn] = Field(min_length=1, max_length=100)


class BatchOut(BaseModel):
    """The bot's replies, one per message, in the same order."""

    replies: list[MessageOut]


@router.post("/support/messages", response_model=MessageOut, summary="Send a customer message to the bot")
def message(ctx: CtxDep, body: MessageIn, who: ChatCaller, request: Request) -> Any:
    """Answer the message (or hand it off: a ticket is opened), recording the turn in the conversation."""
    return _answer(ctx, body, who, request)


@router.post("/support/messages/batch", response_model=BatchOut, summary="Send up to 100 customer messages")
def messages(ctx: CtxDep, body: BatchIn, who: ChatCaller, request: Request) -> Any:
    """Answer each message as ``POST /support/messages`` would, in order.

    For a chat back end that gathers the messages of many conversations: one request instead of one each.
    """
    return {"replies": [_answer(ctx, m, who, request) for m in body.messages]}


def _answer(ctx: Any, body: MessageIn, who: Principal, request: Request) -> dict[str, Any]:
    bot = ctx.shop.support_bot()
    ip = request.client.host if request.client else None
    r = bot.message(body.text, conversation_id=body.conversation_id, customer_email=body.customer_email,
                    customer_phone=body.customer_phone, client=who.key_id, ip=ip, channel=body.channel)
    return {"conversation_id": r.conversation_id, "text": r.text, "action": r.action, "language": r.language,
            "detected": r.detected, "intent": r.intent, "confidence": r.confidence, "runner_up": r.runner_up,
            "margin": r.margin, "handoff_reason": r.handoff_reason, "ticket_id": r.ticket_id, "source": r.source,
            "looked_up": r.looked_up, "entities": [e.__dict__ for e in r.entities]}


@router.get("/support/tickets", response_model=list[dict[str, Any]], summary="The hand-off queue")
async def tickets(ctx: CtxDep, _who: AgentCaller,
                  status: Annotated[Literal["open", "closed", "all"], Query()] = "open",
                  limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> Any:
    """Tickets, most urgent (earliest SLA due time) first (kept until the next write to the operational store)."""
    return await live(ctx, ("support/tickets", status, limit), store_token(ctx),
                      lambda: records(ctx.shop.support_store().tickets(None if status == "all" else status, limit)))


@router.get("/support/tickets/{ticket_id}", response_model=dict[str, Any],
            summary="One ticket with its conversation")
async def ticket(ctx: CtxDep, _who: AgentCaller, ticket_id: TicketId) -> Any:
    """The ticket and every message of its conversation (kept until the next write to the operational store)."""
    # Two indexed SQLite reads (a millisecond or two), computed on the event loop: in the thread pool,
    # agents opening many tickets for the first time queued behind the GIL (p99 400-440 ms).
    return await live(ctx, ("support/ticket", ticket_id), store_token(ctx),
                      lambda: _on_ticket(lambda store: store.ticket(ticket_id), ctx), inline=True)


@router.post("/support/tickets/{ticket_id}/reply", summary="Reply to a ticket")
def reply(ctx: CtxDep, who: AgentCaller, ticket_id: TicketId, body: ReplyIn) -> dict[str, Any]:
    """Add the agent's reply to the conversation (``close``: and close the ticket)."""
    return _on_ticket(lambda store: store.reply(ticket_id, who.name, body.text, close=body.close), ctx)


@router.post("/support/tickets/{ticket_id}/close", summary="Close a ticket")
def close(ctx: CtxDep, who: AgentCaller, ticket_id: TicketId) -> dict[str, Any]:
    """Close an open ticket."""
    return _on_ticket(lambda store: store.close(ticket_id, who.name), ctx)


def _on_ticket(action: Callable[[SupportStore], dict[str, Any]], ctx: Any) -> dict[str, Any]:
    try:
        return _plain(action(ctx.shop.support_store()))
    except UnknownTicketError as exc:
        raise NotFoundError(str(exc)) from None


@router.get("/support/suggestions", response_model=list[dict[str, Any]], summary="Suggested FAQ entries")
async def suggestions(ctx: CtxDep, _who: AgentCaller, min_count: Annotated[int, Query(ge=1, le=1000)] = 1) -> Any:
    """Handed-off questions grouped by topic with the agents' replies, most frequent first."""
    return await live(ctx, ("support/suggestions", min_count), store_token(ctx),
                      lambda: records(ctx.shop.support_suggestions(min_count)))


def _plain(ticket_row: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    out = {k: (None if not isinstance(v, list) and pd.isna(v) else v) for k, v in ticket_row.items()
           if k != "messages"}
    out["messages"] = records(pd.DataFrame(ticket_row.get("messages") or []))
    return out
