"""The event schema and its validation, shared by every transport (HTTP and Kafka).

An event is a JSON object with an ``event_id``, a ``type``, an event time ``ts`` (ISO 8601 or Unix
seconds) and the fields its type needs. Validation never raises on a bad event: it returns the
event, or the reason it was refused, so that one bad event never stops a stream.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress, repeat
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["EVENT_SCHEMA", "EVENT_TYPES", "Checked", "Event", "Rejected", "check_events", "decode_json",
           "events_table", "parse_event", "parse_payload", "table_events"]

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
_TYPE_INDEX = {kind: i for i, kind in enumerate(EVENT_TYPES)}
_MAX_ID = 200
_INT64 = 2**63
_EXACT_FLOAT = 2**53
_FIELDS = ("event_id", "type", "ts", *_STRINGS, "amount", "quantity")

#: The columns of a batch of valid events (``ts`` in Unix seconds), in the order of :class:`Event`'s fields.
EVENT_SCHEMA = pa.schema([("event_id", pa.string()), ("event_type", pa.string()), ("ts", pa.float64()),
                          *((name, pa.string()) for name in _STRINGS), ("amount", pa.float64()),
                          ("quantity", pa.int64()), ("content_hash", pa.string())])


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
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)
                                 or not -_INT64 <= quantity < _INT64):
        return Rejected("quantity must be an integer (64-bit)", _raw(obj), source, event_id)
    extra = sorted(set(obj) - _KNOWN) if len(obj) > 3 + len(EVENT_TYPES[kind]) else []
    if extra:
        return Rejected(f"unknown field(s) {', '.join(extra[:5])}", _raw(obj), source, event_id)
    digest = _content_hash(kind, ts, strings["session_id"], strings["customer_id"], strings["order_id"],
                           strings["product_id"], amount, quantity)
    return Event(event_id, kind, ts, strings["session_id"], strings["customer_id"], strings["order_id"],
                 strings["product_id"], None if amount is None else float(amount), quantity, digest)


def _content_hash(kind: str, ts: float, session_id: str | None, customer_id: str | None, order_id: str | None,
                  product_id: str | None, amount: Any, quantity: Any) -> str:
    # The canonical content: repr of the parsed values (the amount as sent), fields in a fixed order.
    canonical = f"{kind}\x1f{ts!r}\x1f{session_id}\x1f{customer_id}\x1f{order_id}\x1f{product_id}\x1f{amount!r}" \
        f"\x1f{quantity!r}"
    return hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class Checked:
    """A validated batch: the valid events as columns (:data:`EVENT_SCHEMA`, in arrival order) and the refused ones.

    Every refused event keeps its reason and its position (``source``, e.g. ``http:key#17`` or
    ``kafka:topic/0@42``).
    """

    events: pa.Table = field(default_factory=EVENT_SCHEMA.empty_table)
    rejected: list[Rejected] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.events.num_rows) + len(self.rejected)

    @classmethod
    def of(cls, results: Iterable[Event | Rejected]) -> Checked:
        """The batch of per-event results (:func:`parse_event`'s)."""
        events: list[Event] = []
        rejected: list[Rejected] = []
        for r in results:
            (rejected if isinstance(r, Rejected) else events).append(r)  # type: ignore[arg-type]
        return cls(events_table(events), rejected)

    @classmethod
    def concat(cls, parts: list[Checked]) -> Checked:
        """One batch of several, in their order."""
        if len(parts) == 1:
            return parts[0]
        tables = [p.events for p in parts if p.events.num_rows]
        return cls(pa.concat_tables(tables) if tables else EVENT_SCHEMA.empty_table(),
                   [r for p in parts for r in p.rejected])


def events_table(events: list[Event]) -> pa.Table:
    """Events as columns (:data:`EVENT_SCHEMA`)."""
    rows = [(e.event_id, e.event_type, e.ts, e.session_id, e.customer_id, e.order_id, e.product_id, e.amount,
             e.quantity, e.content_hash) for e in events]
    columns: list[Any] = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in EVENT_SCHEMA]
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, EVENT_SCHEMA, strict=True)],
                                schema=EVENT_SCHEMA)


def table_events(table: pa.Table) -> list[Event]:
    """Columns (:data:`EVENT_SCHEMA`) back as events."""
    columns = [table[f.name].to_pylist() for f in EVENT_SCHEMA]
    return [Event(*row) for row in zip(*columns, strict=True)]


def decode_json(data: bytes) -> Any:
    """Decode JSON: orjson, and the standard library where orjson refuses what it takes (integers past 64 bits).

    Raises
    ------
    json.JSONDecodeError, UnicodeDecodeError
        Not JSON (the standard library's error, with line and column).
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def check_events(items: list[Any], *, now: float, max_age_s: float, max_ahead_s: float,
                 where: Callable[[int], str]) -> Checked:
    """Validate decoded JSON events as a batch: the rules and reasons of :func:`parse_event`, in columns.

    Checks of type, length, range and the fields each type needs run on whole columns; only the events one of
    them flags go through :func:`parse_event` one by one, which gives their exact reason (or takes them: an
    integer id, an ISO 8601 time). ``where(i)`` names the position of item ``i`` for a rejection.
    """
    n = len(items)
    if n == 0:
        return Checked()
    if set(map(type, items)) == {dict}:
        fast_pos = None
        objs = items
    else:
        fast_pos = np.flatnonzero(np.fromiter((type(o) is dict for o in items), bool, n))
        objs = [items[i] for i in fast_pos]
    m = len(objs)
    cols = {name: list(map(dict.get, objs, repeat(name, m))) for name in _FIELDS}
    bad = np.zeros(m, bool)
    if not _KNOWN.issuperset(set().union(*objs)):
        bad |= np.fromiter((not o.keys() <= _KNOWN for o in objs), bool, m)
    arrays: dict[str, pa.Array] = {}
    nulls: dict[str, np.ndarray] = {}
    for name in _FIELDS:
        allowed, kind = ((int, float), pa.float64()) if name in ("ts", "amount") else \
            ((int,), pa.int64()) if name == "quantity" else ((str,), pa.string())
        arrays[name], flagged = _typed(cols[name], allowed, kind)
        if flagged is not None:
            bad |= flagged
        nulls[name] = arrays[name].is_null().to_numpy(zero_copy_only=False) if arrays[name].null_count else \
            np.zeros(m, bool)
        if kind == pa.string() and name != "type":
            # Bytes bound characters from above: a string short enough in bytes is short enough.
            offsets = np.frombuffer(arrays[name].buffers()[1], np.int32, m + 1)
            bad |= np.diff(offsets) > _MAX_ID
    if not all(map(_strip, cols["event_id"])):
        bad |= np.fromiter((type(x) is not str or not x.strip() for x in cols["event_id"]), bool, m)
    encoded = pc.dictionary_encode(arrays["type"])
    known = np.array([_TYPE_INDEX.get(v, -1) for v in encoded.dictionary.to_pylist()] + [-1])
    type_index = known[pc.fill_null(encoded.indices, len(known) - 1).to_numpy()]
    bad |= type_index < 0
    ts = arrays["ts"].to_numpy(zero_copy_only=False)  # nulls are NaN
    amount = arrays["amount"].to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        bad |= ~((ts >= now - max_age_s) & (ts <= now + max_ahead_s))
        bad |= ~(nulls["amount"] | (np.isfinite(amount) & (amount >= 0)))
    for k, required in enumerate(EVENT_TYPES.values()):
        if required:
            of_kind = type_index == k
            for name in required:
                bad |= of_kind & nulls[name]
    ok = ~bad
    taken = pa.Table.from_arrays([arrays[name] for name in _FIELDS], names=list(_FIELDS)).filter(pa.array(ok))
    sent_int = None  # the amounts sent as integers: their canonical text has no ".0", as repr() of an int
    if int in set(map(type, cols["amount"])):
        sent_int = np.fromiter((type(a) is int for a in compress(cols["amount"], ok.tolist())), bool, int(ok.sum()))
    taken_cols = [taken.column(i).combine_chunks() for i in range(len(_FIELDS))]
    kind_col, ts_col, session_col, customer_col, order_col, product_col, amount_col, quantity_col = taken_cols[1:]
    hashes = _content_hashes(kind_col, ts_col, session_col, customer_col, order_col, product_col, amount_col,
                             quantity_col, sent_int)
    fast = pa.Table.from_arrays([*taken_cols, hashes], schema=EVENT_SCHEMA)
    slow = np.flatnonzero(bad) if fast_pos is None else fast_pos[bad]
    if fast_pos is not None:
        rest = np.ones(n, bool)
        rest[fast_pos] = False
        slow = np.sort(np.concatenate([slow, np.flatnonzero(rest)]))
    if not len(slow):
        return Checked(fast, [])
    results = [parse_event(items[i], now=now, max_age_s=max_age_s, max_ahead_s=max_ahead_s, source=where(int(i)))
               for i in slow]
    taken = [i for i, r in zip(slow.tolist(), results, strict=True) if isinstance(r, Event)]
    rejected = [r for r in results if isinstance(r, Rejected)]
    if not taken:
        return Checked(fast, rejected)
    fast_at = np.flatnonzero(ok) if fast_pos is None else fast_pos[ok]
    order = np.argsort(np.concatenate([fast_at, np.array(taken, dtype=fast_at.dtype)]), kind="stable")
    both = pa.concat_tables([fast, events_table([r for r in results if isinstance(r, Event)])])
    return Checked(both.take(pa.array(order)), rejected)


def _content_hashes(kinds: pa.Array, ts: pa.Array, session_id: pa.Array, customer_id: pa.Array,
                    order_id: pa.Array, product_id: pa.Array, amount: pa.Array, quantity: pa.Array,
                    amount_sent_int: np.ndarray | None) -> pa.Array:
    """:func:`_content_hash` of every row: the canonical text built in columns, one digest per row."""
    canonical = pc.binary_join_element_wise(
        kinds, _repr_floats(ts, None), session_id, customer_id, order_id, product_id,
        _repr_floats(amount, amount_sent_int), pc.cast(quantity, pa.string()), "\x1f",
        null_handling="replace", null_replacement="None")
    blake2b = hashlib.blake2b
    return pa.array([blake2b(text, digest_size=12).hexdigest() for text in pc.cast(canonical, pa.binary()).to_pylist()],
                    pa.string())


def _repr_floats(values: pa.Array, sent_int: np.ndarray | None) -> pa.Array:
    """``repr()`` of each value (of the int sent where ``sent_int``), nulls kept: Arrow's digits, Python's notation."""
    text = pc.cast(values, pa.string())
    v = np.abs(values.to_numpy(zero_copy_only=False))
    with np.errstate(invalid="ignore"):
        # Python writes these in exponent notation where Arrow may not (or the other way round).
        odd = np.flatnonzero(((v < 1e-4) & (v != 0)) | (v >= 1e16))
    needs_point = pc.invert(pc.or_(pc.match_substring(text, "."), pc.match_substring(text, "e")))
    if sent_int is not None:
        needs_point = pc.and_(needs_point, pa.array(~sent_int))
    text = pc.if_else(needs_point, pc.binary_join_element_wise(text, ".0", ""), text)
    if not len(odd):
        return text
    out = text.to_pylist()
    raw = values.to_pylist()
    for i in odd.tolist():
        out[i] = repr(int(raw[i])) if sent_int is not None and sent_int[i] else repr(raw[i])
    return pa.array(out, pa.string())


def _strip(value: Any) -> Any:
    """``str.strip`` of a string (blank ids are falsy), ``""`` for anything else."""
    return value.strip() if type(value) is str else ""


def _typed(values: list[Any], allowed: tuple[type, ...], kind: pa.DataType) -> tuple[pa.Array, np.ndarray | None]:
    """The column as ``kind`` and the rows of another Python type (or past ``kind``'s exact range), if any."""
    if set(map(type, values)) <= {*allowed, type(None)}:
        try:
            return pa.array(values, kind), None
        except (pa.ArrowInvalid, OverflowError):
            pass
    limit = _EXACT_FLOAT if pa.types.is_floating(kind) else _INT64
    flagged = np.fromiter((v is not None and (type(v) not in allowed or (type(v) is int and not -limit < v < limit))
                           for v in values), bool, len(values))
    return pa.array([None if f else v for v, f in zip(values, flagged.tolist(), strict=True)], kind), flagged


def parse_payload(data: bytes, *, now: float, max_age_s: float, max_ahead_s: float, source: str
                  ) -> list[Event | Rejected]:
    """Decode one Kafka message (a JSON event, or a JSON array of events) and validate it."""
    try:
        obj = decode_json(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Rejected(f"not JSON: {exc}", data[:2000].decode("utf-8", errors="replace"), source)]
    items = obj if isinstance(obj, list) else [obj]
    return [parse_event(o, now=now, max_age_s=max_age_s, max_ahead_s=max_ahead_s, source=source) for o in items]


def _raw(obj: Any) -> str:
    try:
        return json.dumps(obj, default=str)[:2000]
    except (TypeError, ValueError):
        return repr(obj)[:2000]
