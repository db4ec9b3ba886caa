"""The monitor: one intake path for every transport, live windows, landing, rules and the live snapshot.

HTTP batches go through :meth:`Monitor.submit`: validated in the caller's thread, then one flusher
thread de-duplicates, appends the group commit to the spool (durable before anyone is answered),
counts the events into the windows and lands the spool into the lake in micro-batches. A Kafka
consumer calls :meth:`Monitor.land`, which lands one micro-batch with its offsets. Both share
validation (:func:`parse_event`), the index of event ids, the windows and the landing code.
A ticker thread moves the clock, closes windows, evaluates the rules, follows batches other
processes land (a Kafka consumer beside the server) and publishes snapshots to live subscribers.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

from shopops.errors import ShopopsError
from shopops.lake import Lake
from shopops.monitor._alert_copy import copy_alerts
from shopops.monitor._alerts import AlertBook, Notifier, RuleEvaluator
from shopops.monitor._baseline import HourOfWeekBaseline
from shopops.monitor._compact import Compaction, compact_events, finish_compaction
from shopops.monitor._events import Checked, Event, check_events, parse_event, table_events
from shopops.monitor._landing import (
    TABLE,
    EventIndex,
    Landed,
    events_of_landed,
    land_batch,
    landed_events,
    landed_spool_position,
)
from shopops.monitor._rules import DEFAULT_RULES, RuleSet
from shopops.monitor._spool import Spool
from shopops.monitor._windows import WindowSpec, WindowStore
from shopops.opstore import OperationalStore

__all__ = ["IntakeError", "Monitor", "MonitorConfig", "Receipt", "baselines_path", "events_from_table"]

_DEFAULT_WINDOWS = (WindowSpec(1, 1), WindowSpec(5, 5), WindowSpec(15, 15), WindowSpec(60, 60), WindowSpec(60, 5))
_TILES = ("orders", "gmv", "sessions", "conversion", "add_to_cart_rate", "payment_failure_rate", "cancellation_rate")


class IntakeError(ShopopsError):
    """A batch the monitor did not take (nothing of it was stored)."""


@dataclass(frozen=True)
class MonitorConfig:
    """How the monitor takes, windows and lands events.

    Parameters
    ----------
    clock : {"wall", "replay"}
        ``wall``: windows close on the wall clock. ``replay``: on the replay's clock (the latest event time,
        or the ``clock`` a batch sends), so a replay at 600x closes its windows as history would have.
    max_batch : int
        Most events one HTTP request may carry.
    grace_s : float
        How long after its end a window still takes late events.
    max_age_s, max_ahead_s : float
        Event times accepted around the clock.
    group_commit_s : float
        How long the flusher gathers requests into one durable write.
    land_every_s, land_max_events : float, int
        When the spooled events are landed in the lake as one micro-batch.
    compact_every_s : float
        How often small landed batches are merged (:func:`compact_events`); 0: never.
    copy_alerts_every_s : float
        How often changed alerts are copied into the lake for the warehouse (monitors that evaluate rules); 0: never.
    """

    clock: Literal["wall", "replay"] = "wall"
    windows: tuple[WindowSpec, ...] = _DEFAULT_WINDOWS
    max_batch: int = 5000
    grace_s: float = 60.0
    max_age_s: float = 7 * 86400.0
    max_ahead_s: float = 300.0
    group_commit_s: float = 0.004
    land_every_s: float = 5.0
    land_max_events: int = 50_000
    tick_s: float = 0.25
    rebuild_hours: float = 24.0
    compact_every_s: float = 300.0
    copy_alerts_every_s: float = 60.0


@dataclass
class Receipt:
    """What happened to one submitted batch."""

    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    durable: bool = False


def baselines_path(data_dir: Path) -> Path:
    """Where fitted baselines are kept (``<data_dir>/monitor/baselines.json``)."""
    return Path(data_dir) / "monitor" / "baselines.json"


def _load_baselines(data_dir: Path) -> dict[str, HourOfWeekBaseline]:
    path = baselines_path(data_dir)
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {kpi: HourOfWeekBaseline.from_json(b) for kpi, b in data.items()}


def events_from_table(table: pa.Table) -> list[Event]:
    """Landed rows (``live_events``) back as events."""
    return table_events(events_of_landed(table))


class Monitor:
    """Live monitoring of one data directory.

    Parameters
    ----------
    data_dir : Path
        The shopops data directory (lake, operational store, spool).
    config : MonitorConfig or None
        Clock, windows, limits.
    rules : RuleSet or None
        Alert rules (default: :data:`shopops.monitor.DEFAULT_RULES`).
    transport : str
        ``http`` (a spool for durability) or ``kafka`` (the broker redelivers; offsets land with the batch).
    evaluate : bool
        Evaluate the rules (a second process may leave that to the server; alerts are de-duplicated either way).
    """

    def __init__(self, data_dir: Path, *, config: MonitorConfig | None = None, rules: RuleSet | None = None,
                 transport: str = "http", evaluate: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.config = config or MonitorConfig()
        self.transport = transport
        self.lake = Lake(self.data_dir)
        self.book = AlertBook(OperationalStore.for_data_dir(self.data_dir))
        self.ruleset = rules or DEFAULT_RULES
        self.baselines = _load_baselines(self.data_dir)
        self.notifier = Notifier(self.ruleset.notify, self.book)
        self.evaluator = RuleEvaluator(self.ruleset, self.book, self.baselines, self.notifier) if evaluate else None
        self.windows = WindowStore(list(self.config.windows), grace_s=self.config.grace_s)
        self.index = EventIndex()
        self.counters = {"accepted": 0, "duplicates": 0, "quarantined": 0, "landed_batches": 0, "landed_events": 0}
        self._lock = threading.RLock()
        self._wake = threading.Condition(threading.Lock())
        self._pending: list[tuple[Checked, Future[Receipt]]] = []
        self._to_land: list[Checked] = []
        self._to_land_dups = 0
        self._last_land = time.monotonic()
        self._spool: Spool | None = None
        self._known_batches: set[str] = set()
        self._subscribers: list[Callable[[dict[str, Any]], None]] = []
        self._dirty = True
        self._alerts_cache: tuple[float, list[dict[str, Any]]] = (0.0, [])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started = False

    # ------------------------------------------------------------------ life cycle
    def start(self) -> Monitor:
        """Recover (land what the spool holds past the lake), rebuild the windows, start the threads."""
        if self.started:
            return self
        with self.lake.writer_lock():
            self.lake.recover()
            finish_compaction(self.lake)
        self._known_batches = {b.batch_id for b in self.lake.batches()}
        self.index = EventIndex.from_lake(self.lake)
        landed = landed_events(self.lake)
        if landed.num_rows:
            last = float(pa.compute.max(landed["ts"]).cast(pa.int64()).as_py()) / 1e6
            horizon = (time.time() if self.config.clock == "wall" else last) - self.config.rebuild_hours * 3600
            events = events_of_landed(landed)
            self.windows.add(events.filter(pa.compute.greater_equal(events["ts"], horizon)))
        if self.transport == "http":
            self._spool = Spool(self.data_dir / "monitor" / "spool")
            self._land_spool_tail()
        if self.config.clock == "wall":
            self.windows.advance(time.time())
        self._stop.clear()
        names = ["ticker"] + (["flusher"] if self.transport == "http" else [])
        for name in names:
            thread = threading.Thread(target=getattr(self, f"_{name}"), name=f"shopops-monitor-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self.started = True
        return self

    def close(self) -> None:
        """Land what is spooled, stop the threads and the notifier."""
        if not self.started:
            return
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(10)
        self._threads.clear()
        self._land(force=True)
        if self._spool is not None:
            self._spool.close()
        self.notifier.close()
        self.started = False

    def __enter__(self) -> Monitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _land_spool_tail(self) -> None:
        assert self._spool is not None
        segment, offset = landed_spool_position(self.lake)
        for batch, dups, _pos in self._spool.read_from(segment, offset):
            fresh, refused, more = self.index.split(batch)
            self.windows.add(fresh)
            self._to_land.append(Checked(fresh, refused))
            self._to_land_dups += dups + more
        self._land(force=True)

    # ------------------------------------------------------------------ the clock
    def now(self) -> float:
        """The intake clock: the wall clock, or the replay's clock."""
        if self.config.clock == "wall":
            return time.time()
        return self.windows.clock if self.windows.clock is not None else math.nan

    def clock(self) -> float | None:
        """The clock as JSON can carry it (None before a replay's first event)."""
        now = self.now()
        return None if math.isnan(now) else now

    def advance(self, clock: float) -> list[dict[str, Any]]:
        """Move the clock (replay: to ``clock``; wall: to now), close windows and evaluate the rules.

        Returns
        -------
        list of dict
            The alerts that fired.
        """
        fired: list[dict[str, Any]] = []
        with self._lock:
            closed = self.windows.advance(clock)
            if closed:
                self._dirty = True
            if self.evaluator is not None:
                for spec, row in closed:
                    if spec.size == spec.hop:
                        history = list(self.windows.closed[spec.name])
                        fired += self.evaluator.evaluate(spec.name, row, history, time.time())
        if fired:
            self._alerts_cache = (0.0, [])
            self.publish()
        return fired

    # ------------------------------------------------------------------ intake
    def validate(self, items: list[Any], *, source: str, clock: float | None = None) -> Checked:
        """Validate decoded JSON events against the intake clock (``clock``: the sender's replay clock)."""
        if len(items) > self.config.max_batch:
            raise ShopopsError(f"a batch holds at most {self.config.max_batch:,} events, this one {len(items):,}; "
                              "split it (nothing of it was taken)")
        if self.config.clock == "replay":
            now = clock if clock is not None else self.now()
            if math.isnan(now):
                now = _first_time(items)
            ahead = max(self.config.max_ahead_s, 86400.0)
        else:
            if clock is not None:
                raise ShopopsError("clock is only accepted by a monitor on the replay clock (`--clock replay`)")
            now, ahead = time.time(), self.config.max_ahead_s
        return check_events(items, now=now, max_age_s=self.config.max_age_s, max_ahead_s=ahead,
                            where=lambda i: f"{source}#{i}")

    def submit(self, items: list[Any], *, source: str = "http", clock: float | None = None,
               timeout: float = 30.0) -> Receipt:
        """Take one HTTP batch and return once it is durable.

        Raises
        ------
        ShopopsError
            The batch is too large, or sends a clock to a monitor on the wall clock (nothing of it is taken).
        IntakeError
            The batch could not be made durable (nothing of it is kept); the sender should retry.
        """
        if not self.started or self.transport != "http":
            raise IntakeError("the monitor is not taking HTTP events (not started)")
        checked = self.validate(items, source=source, clock=clock)
        future: Future[Receipt] = Future()
        with self._wake:
            self._pending.append((checked, future))
            self._wake.notify()
        receipt = future.result(timeout)
        if clock is not None:
            self.advance(clock)
        return receipt

    def _flusher(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                if not self._pending:
                    self._wake.wait(0.2)
                if self._pending and self.config.group_commit_s:
                    self._wake.wait(self.config.group_commit_s)
                batch, self._pending = self._pending, []
            if batch:
                self._commit_group(batch)
            if time.monotonic() - self._last_land >= self.config.land_every_s or \
                    sum(len(c) for c in self._to_land) >= self.config.land_max_events:
                self._land()

    def _commit_group(self, batch: list[tuple[Checked, Future[Receipt]]]) -> None:
        assert self._spool is not None
        receipts, parts, dups_all = [], [], 0
        for checked, _future in batch:
            fresh, refused, dups = self.index.split(checked)
            receipts.append(Receipt(fresh.num_rows, dups, len(refused),
                                    [{"where": r.source, "event_id": r.event_id, "problem": r.reason}
                                     for r in refused[:50]], True))
            parts.append(Checked(fresh, refused))
            dups_all += dups
        group = Checked.concat(parts)
        with self._lock:  # the spool position and the events waiting to land move together
            try:
                self._spool.append(group, dups_all)
            except OSError as exc:
                self.index.forget(group.events)
                error = IntakeError(f"the batch was not taken: the spool could not be written ({exc.strerror}); "
                                    "retry")
                for _checked, future in batch:
                    future.set_exception(error)
                return
            self.windows.add(group.events)
            self._to_land.append(group)
            self._to_land_dups += dups_all
            self.counters["accepted"] += group.events.num_rows
            self.counters["duplicates"] += dups_all
            self.counters["quarantined"] += len(group.rejected)
            self._dirty = True
        for (_checked, future), receipt in zip(batch, receipts, strict=True):
            future.set_result(receipt)

    def _land(self, *, force: bool = False) -> Landed | None:
        """Land the spooled events as one micro-batch with the spool position it ends at."""
        with self._lock:
            if not self._to_land and not force:
                self._last_land = time.monotonic()
                return None
            waiting, dups = Checked.concat(self._to_land) if self._to_land else Checked(), self._to_land_dups
            self._to_land, self._to_land_dups = [], 0
            position = self._spool.position() if self._spool is not None else None
        events, rejected = waiting.events, waiting.rejected
        if not events.num_rows and not rejected:
            self._last_land = time.monotonic()
            return None
        spool = {"spool": {"segment": position[0], "offset": position[1]}} if position else {}
        landed = land_batch(self.lake, events, rejected, transport=self.transport, duplicates=dups, position=spool)
        if landed.batch_id:
            self._known_batches.add(landed.batch_id)
            self.counters["landed_batches"] += 1
            self.counters["landed_events"] += landed.events
        if self._spool is not None and position is not None:
            self._spool.trim(position)
        self._last_land = time.monotonic()
        return landed

    def flush(self) -> Landed | None:
        """Land everything spooled now (tests, shutdown, the CLI)."""
        return self._land(force=True)

    def land(self, checked: Checked, position: dict[str, Any]) -> Landed:
        """Land one micro-batch from a broker with its stream position (the Kafka path), then count it."""
        fresh, refused, dups = self.index.split(checked)
        try:
            landed = land_batch(self.lake, fresh, refused, transport=self.transport, duplicates=dups,
                                position=position)
        except BaseException:
            self.index.forget(fresh)
            raise
        with self._lock:
            if landed.batch_id:
                self._known_batches.add(landed.batch_id)
            self.windows.add(fresh)
            self.counters["accepted"] += fresh.num_rows
            self.counters["duplicates"] += dups
            self.counters["quarantined"] += len(refused)
            self.counters["landed_batches"] += 1 if landed.batch_id else 0
            self.counters["landed_events"] += landed.events
            self._dirty = True
        if self.config.clock == "replay" and fresh.num_rows:
            self.advance(float(pa.compute.max(fresh["ts"]).as_py()))
        return landed

    # ------------------------------------------------------------------ following other writers
    def _follow_lake(self) -> None:
        if self.lake.store is not None:
            names = self.lake.batch_ids()
        else:
            folder = self.lake.root / "_batches"
            if not folder.is_dir():
                return
            names = {p.name.removesuffix(".json") for p in os.scandir(folder) if p.name.endswith(".json")}
        new = names - self._known_batches
        if not new:
            return
        parts: list[pa.Table] = []
        for batch_id in sorted(new):
            self._known_batches.add(batch_id)
            batch = self.lake.batch(batch_id)
            if batch is None or batch.adapter != "monitor":
                continue
            for rel in batch.tables.get(TABLE, {}).get("files", []):
                landed = events_of_landed(pq.read_table(str(self.lake.root / rel), filesystem=self.lake.fs))
                fresh, _refused, _dups = self.index.split(Checked(landed))
                parts.append(fresh)
        fresh_all = pa.concat_tables(parts) if parts else None
        if fresh_all is not None and fresh_all.num_rows:
            with self._lock:
                self.windows.add(fresh_all)
                self._dirty = True
            if self.config.clock == "replay":
                self.advance(float(pa.compute.max(fresh_all["ts"]).as_py()))

    def compact(self) -> Compaction:
        """Merge the small landed batches now (see :func:`compact_events`)."""
        return compact_events(self.lake)

    def copy_alerts(self) -> int:
        """Copy the alerts that changed into the lake for the warehouse; returns the rows copied."""
        return copy_alerts(self.lake, self.book.store)

    def _housekeeping(self, due: dict[str, float]) -> None:
        now = time.monotonic()
        c = self.config
        if c.compact_every_s and now - due.setdefault("compact", now) >= c.compact_every_s:
            due["compact"] = now
            self.compact()
        if self.evaluator is not None and c.copy_alerts_every_s and \
                now - due.setdefault("alerts", now) >= c.copy_alerts_every_s:
            due["alerts"] = now
            self.copy_alerts()

    def _ticker(self) -> None:
        last_publish = 0.0
        due: dict[str, float] = {}
        while not self._stop.wait(self.config.tick_s):
            try:
                self._housekeeping(due)
                self._follow_lake()
                if self.config.clock == "wall":
                    self.advance(time.time())
                if self._dirty or time.monotonic() - last_publish > 5:
                    self.publish()
                    last_publish = time.monotonic()
            except Exception as exc:  # the ticker must survive one bad tick; the status says what happened
                self.book.set_status(f"monitor:{self.transport}", "error", f"{type(exc).__name__}: {exc}")

    # ------------------------------------------------------------------ live view
    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``callback`` with every new snapshot; returns the function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self) -> None:
        """Send the current snapshot to every subscriber."""
        snap = self.snapshot()
        self._dirty = False
        for callback in list(self._subscribers):
            callback(snap)

    def alerts_changed(self) -> None:
        """Someone acknowledged or silenced: show it on the next snapshot, and publish one now."""
        self._alerts_cache = (0.0, [])
        self.publish()

    def open_alerts(self) -> list[dict[str, Any]]:
        """The open alerts (cached for a second: every snapshot shows them)."""
        at, cached = self._alerts_cache
        if time.monotonic() - at > 1.0:
            cached = self.book.alerts("open", limit=50)
            self._alerts_cache = (time.monotonic(), cached)
        return cached

    def snapshot_token(self) -> tuple[Any, ...]:
        """What :meth:`snapshot` is computed from: equal tokens, equal snapshots (cheap; no store read).

        The intake counters and the clock (which move with every batch and every tick), the open
        alerts' cache stamp (reset on every acknowledgement or silence) and the second: the open alerts
        are re-read from the store once a second, so a snapshot is never more than a second behind them.
        """
        with self._lock:
            return (tuple(self.counters.values()), self.windows.late, self.windows.clock, len(self.index),
                    self._alerts_cache[0], int(time.monotonic()))

    def snapshot(self) -> dict[str, Any]:
        """KPI tiles with their baseline band, the rolling series, open alerts, out-of-stock products, counters."""
        with self._lock:
            clock = self.windows.clock
            current = self.windows.open_window(15)
            last = self.windows.closed["15m"][-1] if self.windows.closed.get("15m") else None
            series = list(self.windows.closed.get("5m", []))[-71:]
            partial = self.windows.partial(5)
            if partial is not None and (not series or series[-1]["end"] < partial["end"]):
                series.append(partial)
            stock = self.windows.out_of_stock()
            counters = {**self.counters, "late": self.windows.late, "index": len(self.index)}
        tiles = {}
        for kpi in _TILES:
            tile: dict[str, Any] = {"value": current.get(kpi), "last_window": last.get(kpi) if last else None}
            baseline = self.baselines.get(kpi)
            if baseline is not None and clock is not None:
                mu = float(baseline.expected(np.array([clock]))[0]) * 15 / baseline.window_min
                tile["expected"] = mu
                size = baseline.size * 15 / baseline.window_min
                tile["band"] = list(_band(mu, size))
            tiles[kpi] = tile
        return {"clock": clock, "clock_mode": self.config.clock, "tiles": tiles,
                "series": [{k: row.get(k) for k in ("start", "end", "orders", "gmv", "sessions", "cancellations",
                                                     "payment_failures")} for row in series],
                "alerts": self.open_alerts(), "out_of_stock": stock, "intake": counters}


def _band(mu: float, size: float) -> tuple[float, float]:
    if mu <= 0:
        return 0.0, 0.0
    if math.isinf(size):
        return float(stats.poisson.ppf(0.05, mu)), float(stats.poisson.ppf(0.95, mu))
    p = size / (size + mu)
    return float(stats.nbinom.ppf(0.05, size, p)), float(stats.nbinom.ppf(0.95, size, p))


def _first_time(items: list[Any]) -> float:
    for obj in items:
        if isinstance(obj, dict):
            event = parse_event(obj, now=0.0, max_age_s=math.inf, max_ahead_s=math.inf, source="")
            if isinstance(event, Event):
                return event.ts
    return time.time()
