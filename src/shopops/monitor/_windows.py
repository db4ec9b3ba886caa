"""Windowed KPIs in event time: minute buckets, tumbling and hopping windows, a grace period, clock-driven closing.

Every event goes into the bucket of its event-time minute. A window is a run of minute buckets, so
tumbling and hopping windows of any whole number of minutes are sums of buckets. A window closes
when the clock passes its end plus the grace period, whether or not events arrived: a quarter-hour
with no order closes with ``orders = 0``, a value an alert can fire on. The clock is the wall clock
live and the replay's clock in a replay; events later than the grace period still land in the lake
but no longer change windows that closed (they are counted as ``late``).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopops.monitor._events import Event, events_table

__all__ = ["KPIS", "RATE_KPIS", "WindowSpec", "WindowStore", "kpi_values"]

#: Count KPIs (a count model applies) and their event type.
COUNT_EVENTS: dict[str, str] = {
    "orders": "order_placed",
    "payments": "order_paid",
    "cancellations": "order_cancelled",
    "page_views": "page_view",
    "add_to_carts": "add_to_cart",
    "checkouts": "checkout",
    "payment_failures": "payment_failed",
    "stock_changes": "stock_changed",
    "messages": "customer_message",
}
#: Rate KPIs: (numerator, denominator) in terms of counts.
RATE_KPIS: dict[str, tuple[str, str]] = {
    "conversion": ("orders", "sessions"),
    "add_to_cart_rate": ("cart_sessions", "sessions"),
    "payment_failure_rate": ("payment_failures", "payment_attempts"),
    "cancellation_rate": ("cancellations", "orders"),
}
#: Every KPI a rule may name.
KPIS: tuple[str, ...] = (*COUNT_EVENTS, "gmv", "sessions", "events", *RATE_KPIS)


@dataclass(frozen=True)
class WindowSpec:
    """A window: ``size`` minutes long, a new one every ``hop`` minutes (tumbling when equal)."""

    size: int
    hop: int

    @property
    def name(self) -> str:
        """``15m`` for tumbling windows, ``60m/5m`` for hopping ones."""
        return f"{self.size}m" if self.size == self.hop else f"{self.size}m/{self.hop}m"


@dataclass
class _Bucket:
    counts: Counter[str] = field(default_factory=Counter)
    gmv: float = 0.0
    sessions: set[str] = field(default_factory=set)
    cart_sessions: set[str] = field(default_factory=set)


def kpi_values(buckets: list[_Bucket]) -> dict[str, float | None]:
    """The KPIs of a run of minute buckets."""
    counts: Counter[str] = Counter()
    sessions: set[str] = set()
    carts: set[str] = set()
    gmv = 0.0
    for b in buckets:
        counts.update(b.counts)
        sessions |= b.sessions
        carts |= b.cart_sessions
        gmv += b.gmv
    out: dict[str, float | None] = {kpi: float(counts[kind]) for kpi, kind in COUNT_EVENTS.items()}
    out["gmv"] = round(gmv, 2)
    out["sessions"] = float(len(sessions))
    out["cart_sessions"] = float(len(carts))
    out["events"] = float(sum(counts.values()))
    out["payment_attempts"] = float(counts["order_paid"] + counts["payment_failed"])
    for kpi, (num, den) in RATE_KPIS.items():
        d = out[den] or 0.0
        out[kpi] = (out[num] or 0.0) / d if d > 0 else None
    return out


class WindowStore:
    """Minute buckets, open windows and the closed windows of each spec.

    Parameters
    ----------
    specs : list of WindowSpec
        The windows to keep (e.g. tumbling 1, 5, 15, 60 minutes and 60 minutes hopping by 5).
    grace_s : float
        How long after its end a window still takes late events.
    keep_closed : int
        How many closed windows of each spec to keep (for charts and rules).
    """

    def __init__(self, specs: list[WindowSpec], *, grace_s: float = 60.0, keep_closed: int = 1440) -> None:
        self.specs = specs
        self.grace_s = grace_s
        self.buckets: dict[int, _Bucket] = {}
        self.closed: dict[str, deque[dict[str, Any]]] = {s.name: deque(maxlen=keep_closed) for s in specs}
        self._next_end: dict[str, int | None] = {s.name: None for s in specs}  # minute index of the next end
        self.clock: float | None = None
        self.late = 0
        self.stock: dict[str, tuple[float, int]] = {}  # product -> (event time, quantity on hand)
        self.product_orders: Counter[str] = Counter()
        self._horizon = max(s.size for s in specs) + int(grace_s // 60) + 2

    def add(self, events: pa.Table | list[Event]) -> int:
        """Count events (:data:`EVENT_SCHEMA` columns, or a list) into their minute buckets.

        Returns
        -------
        int
            How many were too late for the windows.
        """
        table = events if isinstance(events, pa.Table) else events_table(events)
        if not table.num_rows:
            return 0
        minute = np.floor(table["ts"].to_numpy() / 60).astype("int64")
        keep = np.ones(len(minute), bool) if self.clock is None else \
            (minute + 1) * 60 + self.grace_s > self.clock
        late = int(len(minute) - keep.sum())
        if late:
            table = table.filter(pa.array(keep))
            minute = minute[keep]
        if not table.num_rows:
            self.late += late
            return late
        codes = pc.dictionary_encode(table["event_type"].combine_chunks())
        kinds = codes.dictionary.to_pylist()
        key = minute * len(kinds) + codes.indices.to_numpy()
        groups, counts = np.unique(key, return_counts=True)
        for group, count in zip(groups.tolist(), counts.tolist(), strict=True):
            m, k = divmod(group, len(kinds))
            self._bucket(m).counts[kinds[k]] += count
        placed = pc.equal(table["event_type"], "order_placed")
        if "order_placed" in kinds:
            orders = table.filter(placed)
            amounts = np.nan_to_num(orders["amount"].to_numpy(zero_copy_only=False))
            order_minutes = minute[placed.to_numpy(zero_copy_only=False)]
            first, at = np.unique(order_minutes, return_inverse=True)
            for m, gmv in zip(first.tolist(), np.bincount(at, weights=amounts).tolist(), strict=True):
                self._bucket(m).gmv += gmv
            self.product_orders.update(p for p in orders["product_id"].to_pylist() if p)
        for kind, attr in (("page_view", "sessions"), ("add_to_cart", "cart_sessions")):
            if kind not in kinds:
                continue
            rows = pc.and_(pc.equal(table["event_type"], kind), pc.is_valid(table["session_id"]))
            sessions = table["session_id"].filter(rows).to_pylist()
            for m, session in zip(minute[rows.to_numpy(zero_copy_only=False)].tolist(), sessions, strict=True):
                bucket = self._bucket(m)
                getattr(bucket, attr).add(session)
                if attr == "cart_sessions":
                    bucket.sessions.add(session)
        if "stock_changed" in kinds:
            changes = table.filter(pc.equal(table["event_type"], "stock_changed"))
            for product, ts, quantity in zip(changes["product_id"].to_pylist(), changes["ts"].to_pylist(),
                                             changes["quantity"].to_pylist(), strict=True):
                if product and quantity is not None:
                    seen = self.stock.get(product)
                    if seen is None or seen[0] <= ts:
                        self.stock[product] = (ts, quantity)
        self.late += late
        return late

    def _bucket(self, minute: int) -> _Bucket:
        bucket = self.buckets.get(minute)
        if bucket is None:
            bucket = self.buckets[minute] = _Bucket()
        return bucket

    def advance(self, clock: float) -> list[tuple[WindowSpec, dict[str, Any]]]:
        """Move the clock forward and close every window whose end plus grace has passed.

        Returns
        -------
        list of (WindowSpec, dict)
            The windows closed by this call, oldest first, each with ``start``, ``end`` (Unix seconds) and its KPIs.
        """
        if self.clock is not None and clock <= self.clock:
            return []
        self.clock = clock
        closable = int((clock - self.grace_s) // 60)  # windows ending at or before this minute may close
        out: list[tuple[WindowSpec, dict[str, Any]]] = []
        for spec in self.specs:
            nxt = self._next_end[spec.name]
            if nxt is None:
                first = min(self.buckets) if self.buckets else closable
                nxt = (first // spec.hop + 1) * spec.hop
            # After a long gap (a stopped replay, a sleeping laptop) only the last day is closed one by one.
            nxt = max(nxt, (closable - 1440) // spec.hop * spec.hop)
            while nxt <= closable:
                values = kpi_values([self.buckets[m] for m in range(nxt - spec.size, nxt) if m in self.buckets])
                row = {"window": spec.name, "start": (nxt - spec.size) * 60.0, "end": nxt * 60.0, **values}
                self.closed[spec.name].append(row)
                out.append((spec, row))
                nxt += spec.hop
            self._next_end[spec.name] = nxt
        for minute in [m for m in self.buckets if m < closable - self._horizon]:
            del self.buckets[minute]
        out.sort(key=lambda sr: (sr[1]["end"], sr[0].size))
        return out

    def open_window(self, minutes: int) -> dict[str, Any]:
        """The KPIs of the last ``minutes`` minutes up to the clock (the partial window the tiles show)."""
        if self.clock is None:
            return {"start": None, "end": None, **kpi_values([])}
        now = int(self.clock // 60)
        values = kpi_values([self.buckets[m] for m in range(now - minutes + 1, now + 1) if m in self.buckets])
        return {"start": (now - minutes + 1) * 60.0, "end": self.clock, **values}

    def partial(self, minutes: int) -> dict[str, Any] | None:
        """The window of ``minutes`` (aligned like a tumbling one) that the clock is in, so far."""
        if self.clock is None:
            return None
        now = int(self.clock // 60)
        first = now // minutes * minutes
        values = kpi_values([self.buckets[m] for m in range(first, now + 1) if m in self.buckets])
        return {"window": f"{minutes}m", "start": first * 60.0, "end": (first + minutes) * 60.0, "partial": True,
                **values}

    def out_of_stock(self, top: int = 10) -> list[dict[str, Any]]:
        """Products whose last stock change left none on hand, the best sellers first."""
        gone = [p for p, (_ts, qty) in self.stock.items() if qty <= 0]
        gone.sort(key=lambda p: (-self.product_orders[p], p))
        return [{"product_id": p, "since": self.stock[p][0], "orders": self.product_orders[p]} for p in gone[:top]]
