"""The event schema and its validation, shared by every transport (HTTP and Kafka).

An event is a JSON object with an ``event_id``, a ``type``, an event time ``ts`` (ISO 8601 or Unix
seconds) and the fields its type needs. Validation never raises on a bad event: it returns the
event, or the reason it was refused, so that one bad event never stops a stream.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["EVENT_TYPES", "Event", "Rejected", "parse_event", "parse_payload"]

#: Event types and the fields each one must carry (beyond event_id, type and ts).
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "order_placed": ("order_id", "amount"),
    "order_paid": ("order_id",),
    "order_cancelled": ("order_id",),
    "page_view": ("session_id",),
    "add_to_cart": ("session_id", "product_id"),
    "checkout": ("session_id",),
    "payment_failed": ("order_id",),
    "stock_changed": ("product_id", "quantity"),
    "customer_message": (),
}
_STRINGS = ("session_id", "customer_id", "order_id", "product_id")
_KNOWN = {"event_id", "type", "ts", "amount", "quantity", *_STRINGS}
_MAX_ID = 200


@dataclass(frozen=True, slots=True)
class Event:
    """One valid event.

    Attributes
    ----------
    ts : float
        Event time as Unix seconds (UTC).
    content_hash : str
        Hash of the canonical content: the same ``event_id`` with other content is refused.
    """

    event_id: str
    event_type: str
    ts: float
    session_id: str | None
    customer_id: str | None
    order_id: str | None
    product_id: str | None
    amount: float | None
    quantity: int | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """An event refused by validation, kept with its reason for the quarantine."""

    reason: str
    raw: str
    source: str
    event_id: str | None = None


def _time(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("ts must be an ISO 8601 time or Unix seconds, not a boolean")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("ts is not a finite number")
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"ts {value[:40]!r} is not an ISO 8601 time (e.g. 2026-01-05T10:00:00Z)") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    raise ValueError(f"ts must be an ISO 8601 time or Unix seconds, not {type(value).__name__}")


def parse_event(obj: Any, *, now: float, max_age_s: float, max_ahead_s: float, source: str) -> Event | Rejected:
    """Validate one decoded JSON value as an event.

    Parameters
    ----------
    obj : Any
        The decoded JSON value.
    now : float
        The intake clock (Unix seconds): the wall clock live, the replay's clock in a replay.
    max_age_s, max_ahead_s : float
        Event times older than ``now - max_age_s`` or later than ``now + max_ahead_s`` are refused.
    source : str
        Where it came from (``http``, ``kafka:topic/partition@offset``), kept with a rejection.
    """
    if not isinstance(obj, dict):
        return Rejected(f"an event must be a JSON object, not {type(obj).__name__}", _raw(obj), source)
    event_id = obj.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip():
        return Rejected("event_id is missing (a non-empty string is required)", _raw(obj), source)
    if len(event_id) > _MAX_ID:
        return Rejected(f"event_id is longer than {_MAX_ID} characters", _raw(obj), source)
    kind = obj.get("type")
    if kind not in EVENT_TYPES:
        known = ", ".join(EVENT_TYPES)
        return Rejected(f"unknown event type {str(kind)[:40]!r}; the types are: {known}", _raw(obj), source,
                        event_id)
    try:
        ts = _time(obj.get("ts"))
    except ValueError as exc:
        return Rejected(str(exc), _raw(obj), source, event_id)
    if ts < now - max_age_s or ts > now + max_ahead_s:
        when = datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if abs(ts) < 1e11 else str(ts)
        return Rejected(f"ts {when} is too far from the intake clock (accepted: {max_age_s / 86400:g} days back, "
                        f"{max_ahead_s / 60:g} minutes ahead)", _raw(obj), source, event_id)
    for name in EVENT_TYPES[kind]:
        if obj.get(name) is None:
            return Rejected(f"a {kind} event needs {name}", _raw(obj), source, event_id)
    strings: dict[str, str | None] = {}
    for name in _STRINGS:
        value = obj.get(name)
        if value is None:
            strings[name] = None
        elif type(value) is str and len(value) <= _MAX_ID:
            strings[name] = value
        elif type(value) is int:
            strings[name] = str(value)
        else:
            return Rejected(f"{name} must be a string of at most {_MAX_ID} characters", _raw(obj), source, event_id)
    amount = obj.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int | float)
                               or not math.isfinite(amount) or amount < 0):
        return Rejected("amount must be a number >= 0", _raw(obj), source, event_id)
    quantity = obj.get("quantity")
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)):
        return Rejected("quantity must be an integer", _raw(obj), source, event_id)
    extra = sorted(set(obj) - _KNOWN) if len(obj) > 3 + len(EVENT_TYPES[kind]) else []
    if extra:
        return Rejected(f"unknown field(s) {', '.join(extra[:5])}", _raw(obj), source, event_id)
    # The canonical content: repr of the parsed values, fields in a fixed order (cheaper than JSON, as exact).
    canonical = f"{kind}\x1f{ts!r}\x1f{strings['session_id']}\x1f{strings['customer_id']}\x1f{strings['order_id']}" \
        f"\x1f{strings['product_id']}\x1f{amount!r}\x1f{quantity!r}"
    digest = hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()
    return Event(event_id, kind, ts, strings["session_id"], strings["customer_id"], strings["order_id"],
                 strings["product_id"], None if amount is None else float(amount), quantity, digest)


def parse_payload(data: bytes, *, now: float, max_age_s: float, max_ahead_s: float, source: str
                  ) -> list[Event | Rejected]:
    """Decode one Kafka message (a JSON event, or a JSON array of events) and validate it."""
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Rejected(f"not JSON: {exc}", data[:2000].decode("utf-8", errors="replace"), source)]
    items = obj if isinstance(obj, list) else [obj]
    return [parse_event(o, now=now, max_age_s=max_age_s, max_ahead_s=max_ahead_s, source=source) for o in items]


def _raw(obj: Any) -> str:
    try:
        return json.dumps(obj, default=str)[:2000]
    except (TypeError, ValueError):
        return repr(obj)[:2000]
