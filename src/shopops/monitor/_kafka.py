"""The Kafka transport: a consumer group whose offsets land in the lake with the events, and a producer.

The consumer never trusts the broker's committed offsets to resume: on every partition assignment
it seeks to the offsets in the last lake batch it landed (the commit record holds them), so a
``kill -9`` between landing and committing to Kafka re-reads nothing it already has and skips
nothing it has not. It still commits to Kafka after each landed batch, for the lag tools operators
use. A broker that cannot be reached is retried with back-off by the client (no busy loop) and
reported in the status; a broker that lost its log (a memory broker restarted) is reported, not
skipped over silently.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from shopops.errors import ShopopsError
from shopops.monitor._events import Checked, Rejected, check_events, decode_json
from shopops.monitor._landing import landed_kafka_offsets
from shopops.monitor._monitor import Monitor

__all__ = ["ConsumeStats", "KafkaUnavailableError", "consume", "kafka_client_config", "produce"]


class KafkaUnavailableError(ShopopsError):
    """The Kafka client is not installed, or the broker could not be used."""


def _kafka() -> Any:
    try:
        import confluent_kafka
    except ImportError:
        raise KafkaUnavailableError("the Kafka transport needs confluent-kafka: pip install 'shopops[kafka]'") from None
    return confluent_kafka


def kafka_client_config(bootstrap: str, *, consumer: bool = True, **extra: Any) -> dict[str, Any]:
    """Client settings that work with Apache Kafka and with the Tansu broker used in tests."""
    common = {"bootstrap.servers": bootstrap, "reconnect.backoff.ms": 250, "reconnect.backoff.max.ms": 8000,
              "socket.connection.setup.timeout.ms": 5000}
    if consumer:
        # Tansu answers JoinGroup after about half the session timeout: keep it short. A shorter fetch wait
        # than 500 ms made it return no data.
        common.update({"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000, "fetch.wait.max.ms": 500})
    return {**common, **extra}


@dataclass
class ConsumeStats:
    """What a consumer run did."""

    messages: int = 0
    landed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    batches: int = 0
    offsets: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lag: dict[str, int] = field(default_factory=dict)
    joined: bool = False


def consume(monitor: Monitor, *, bootstrap: str, topics: list[str], group: str = "shopops-monitor",
            max_batch: int = 20_000, linger_s: float = 0.5, idle_exit_s: float | None = None,
            max_messages: int | None = None, stop: threading.Event | None = None, join_timeout_s: float = 60.0,
            on_status: Callable[[str, str], None] | None = None,
            on_batch: Callable[[ConsumeStats], None] | None = None) -> ConsumeStats:
    """Consume events from Kafka topics into the lake until stopped.

    Parameters
    ----------
    monitor : Monitor
        A started monitor with ``transport="kafka"``: validation, de-duplication, windows and landing.
    bootstrap : str
        ``HOST:PORT[,HOST:PORT…]`` of the cluster.
    topics : list of str
        Topics to read (one JSON event, or a JSON array of events, per message).
    group : str
        The consumer group; its offsets live in the lake batches it lands.
    max_batch, linger_s : int, float
        A micro-batch is cut at ``max_batch`` messages or after ``linger_s`` seconds.
    idle_exit_s : float or None
        Stop after this long without a message since the last message or partition assignment (None: run until
        ``stop`` is set).
    max_messages : int or None
        Stop after this many messages.
    stop : threading.Event or None
        Set it to stop after the current micro-batch.
    join_timeout_s : float
        With ``idle_exit_s``, how long a reachable broker may take to give this consumer its partitions before
        the run stops with ``stats.joined`` False. Joining is never idleness: after a ``kill -9`` the group waits
        for the dead member's session to expire before it hands its partitions to the new one.
    on_status : callable or None
        Called with ``(status, detail)`` when the connection state changes.
    on_batch : callable or None
        Called with the running totals after each landed batch.
    """
    ck = _kafka()
    stats = ConsumeStats()
    stop = stop or threading.Event()
    component = f"consumer:{group}"
    offsets = landed_kafka_offsets(monitor.lake, group)
    stats.offsets = dict(offsets)
    state = {"status": ""}

    def status(name: str, detail: str) -> None:
        if state["status"] != name:
            state["status"] = name
            monitor.book.set_status(component, name, detail)
            if on_status is not None:
                on_status(name, detail)

    def on_error(err: Any) -> None:
        code = err.code()
        if code in (ck.KafkaError._TRANSPORT, ck.KafkaError._ALL_BROKERS_DOWN, ck.KafkaError._RESOLVE):
            status("broker unreachable", f"{err.str()} (retrying with back-off)")
        else:
            stats.problems.append(err.str())

    settings: dict[str, Any] = {"group.id": group, "enable.auto.commit": False, "auto.offset.reset": "error",
                                "enable.partition.eof": False, "error_cb": on_error}
    consumer = ck.Consumer(kafka_client_config(bootstrap, **settings))
    idle_since = time.monotonic()
    started = idle_since
    # A rebalance can still be on its way after an assignment (a dead member's partitions come back when its
    # session expires): an idle exit waits out one session timeout after the last assignment.
    settle_s = float(kafka_client_config(bootstrap)["session.timeout.ms"]) / 1000 + 2.0
    assigned_at = [float("-inf")]

    # Partitions whose broker claims to end before what we landed. The claim alone is not trusted (Tansu's high
    # watermark is the base offset of its newest batch + 1): we read from the last landed offset - 1, and the
    # record there proves the log intact; nothing there within `probe_s` means the broker lost its log.
    probing: dict[str, tuple[float, int]] = {}
    probe_s = 5.0

    def on_assign(cons: Any, partitions: list[Any]) -> None:
        nonlocal idle_since
        idle_since = time.monotonic()  # joining the group is not idleness: a slow join must not end the run
        assigned_at[0] = idle_since
        stats.joined = True
        for p in partitions:
            key = f"{p.topic}/{p.partition}"
            p.offset = offsets.get(key, ck.OFFSET_BEGINNING)
            if p.offset > 0:
                try:
                    _low, high = cons.get_watermark_offsets(p, timeout=5)
                except ck.KafkaException:
                    continue
                if high < p.offset:
                    probing[key] = (time.monotonic() + probe_s, high)
                    p.offset -= 1
        cons.assign(partitions)
        status("consuming", ", ".join(f"{p.topic}/{p.partition}@{p.offset}" for p in partitions))

    consumer.subscribe(topics, on_assign=on_assign)
    lag_at = [time.monotonic()]
    names: dict[tuple[str, int], str] = {}  # (topic, partition) -> "topic/partition"
    status("connecting", bootstrap)
    try:
        while not stop.is_set():
            want = max_batch if max_messages is None else min(max_batch, max_messages - stats.messages)
            if want <= 0:
                break
            messages = consumer.consume(num_messages=want, timeout=linger_s)
            moved: dict[str, int] = {}
            taken: list[Any] = []
            for msg in messages:
                err = msg.error()
                if err is not None:
                    _on_message_error(ck, consumer, msg, err, offsets, status, stats)
                    continue
                where = (msg.topic(), msg.partition())
                tp = names.get(where) or names.setdefault(where, f"{where[0]}/{where[1]}")
                if probing:
                    probing.pop(tp, None)  # a record arrived: the log is there
                offset = msg.offset()
                if offset < offsets.get(tp, 0):
                    continue  # landed before (the probe record, or a redelivery): never land it twice
                taken.append(msg)
                moved[tp] = offset + 1
            stats.messages += len(taken)
            checked = _check_messages(monitor, taken)
            for tp, (deadline, high) in list(probing.items()):
                if time.monotonic() > deadline:
                    del probing[tp]
                    _lost_log(ck, consumer, tp, offsets, high, status, stats)
            if not moved:
                if idle_exit_s is not None and _idle_over(time.monotonic(), idle_since, started, assigned_at[0],
                                                          idle_exit_s, settle_s, join_timeout_s, stats,
                                                          unreachable=state["status"] == "broker unreachable"):
                    break
                continue
            idle_since = time.monotonic()
            offsets.update(moved)
            landed = monitor.land(checked, {"kafka": {"group": group, "offsets": dict(offsets)}})
            stats.landed += landed.events
            stats.duplicates += landed.duplicates
            stats.quarantined += landed.quarantined
            stats.batches += 1
            stats.offsets = dict(offsets)
            monitor.book.set_offsets(group, moved, landed.batch_id)
            # Advisory only (lag tools): the lake's commit record is what a restart resumes from.
            consumer.commit(offsets=[ck.TopicPartition(tp.rsplit("/", 1)[0], int(tp.rsplit("/", 1)[1]), off)
                                     for tp, off in moved.items()], asynchronous=True)
            if state["status"] != "consuming":
                status("consuming", f"landed up to {moved}")
            if time.monotonic() - lag_at[0] > _LAG_EVERY_S:
                lag_at[0] = time.monotonic()
                stats.lag = _lag(ck, consumer, offsets)
                monitor.book.set_status(f"{component}:lag", "lag", json.dumps(stats.lag))
            if on_batch is not None:
                on_batch(stats)
    finally:
        consumer.close()
        status("stopped", f"{stats.messages:,} messages this run")
    return stats


# Asking the broker for its watermarks blocks the loop for a round trip per partition: not every batch.
_LAG_EVERY_S = 30.0


def _idle_over(now: float, idle_since: float, started: float, assigned_at: float, idle_exit_s: float,
               settle_s: float, join_timeout_s: float, stats: ConsumeStats, *, unreachable: bool) -> bool:
    """Whether an idle run should stop: idle long enough, and not still joining or about to be rebalanced."""
    if stats.joined:
        return now - idle_since > idle_exit_s and now - assigned_at > settle_s
    if unreachable:
        return now - started > idle_exit_s
    if now - started > max(idle_exit_s, join_timeout_s):
        stats.problems.append(f"the broker gave this consumer no partitions within {now - started:.0f} s")
        return True
    return False


def _lag(ck: Any, consumer: Any, offsets: dict[str, int]) -> dict[str, int]:
    """Messages behind the broker's high watermark, per partition.

    Only as right as the broker's watermark: Tansu reports the base offset of its newest batch + 1, so there it
    reads low (the tests count produced against landed events instead).
    """
    out = {}
    for tp, offset in offsets.items():
        topic, partition = tp.rsplit("/", 1)
        try:
            _low, high = consumer.get_watermark_offsets(ck.TopicPartition(topic, int(partition)), timeout=2,
                                                        cached=False)
        except ck.KafkaException:
            continue
        out[tp] = max(int(high) - offset, 0)
    return out


def _lost_log(ck: Any, consumer: Any, tp: str, offsets: dict[str, int], high: int,
              status: Callable[[str, str], None], stats: ConsumeStats) -> None:
    """Report a partition whose broker no longer has what was landed, and read it again from its start."""
    detail = (f"the broker has no record before offset {offsets.get(tp)} on {tp} (it ends at {high}): it lost its "
              "log (restarted memory broker, re-created topic); reading that partition from its start, event ids "
              "drop what was seen before")
    stats.problems.append(detail)
    status("broker lost its log", detail)
    offsets[tp] = 0
    topic, partition = tp.rsplit("/", 1)
    consumer.seek(ck.TopicPartition(topic, int(partition), ck.OFFSET_BEGINNING))


def _check_messages(monitor: Monitor, messages: list[Any]) -> Checked:
    """Decode and validate a micro-batch of messages at once; a message that is not JSON is refused alone."""
    values = [msg.value() or b"" for msg in messages]
    try:
        decoded: list[Any] | None = list(map(orjson.loads, values))
    except orjson.JSONDecodeError:
        decoded = None
    now = monitor.now() if monitor.config.clock == "wall" else _replay_now(monitor, messages[0]) if messages else 0.0
    if decoded is not None and list not in set(map(type, decoded)):  # the usual batch: one JSON event a message
        return check_events(decoded, now=now, max_age_s=monitor.config.max_age_s, max_ahead_s=_ahead(monitor),
                            where=lambda i: _where(messages[i]))
    items: list[Any] = []
    origin: list[int] = []  # the message of each item
    refused: list[Rejected] = []
    for m, msg in enumerate(messages):
        data = msg.value() or b""
        try:
            obj = decode_json(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            refused.append(Rejected(f"not JSON: {exc}", data[:2000].decode("utf-8", errors="replace"),
                                    _where(msg)))
            continue
        if type(obj) is list:
            items += obj
            origin += [m] * len(obj)
        else:
            items.append(obj)
            origin.append(m)
    if not items:
        return Checked(rejected=refused)
    checked = check_events(items, now=now, max_age_s=monitor.config.max_age_s, max_ahead_s=_ahead(monitor),
                           where=lambda i: _where(messages[origin[i]]))
    return Checked(checked.events, refused + checked.rejected) if refused else checked


def _where(msg: Any) -> str:
    return f"kafka:{msg.topic()}/{msg.partition()}@{msg.offset()}"


def _ahead(monitor: Monitor) -> float:
    return monitor.config.max_ahead_s if monitor.config.clock == "wall" else max(monitor.config.max_ahead_s, 86400.0)


def _replay_now(monitor: Monitor, msg: Any) -> float:
    now = monitor.now()
    if now == now:  # not NaN: the replay's clock is known
        return now
    _kind, ts = msg.timestamp()
    return float(ts) / 1000 if ts and ts > 0 else time.time()


def _on_message_error(ck: Any, consumer: Any, msg: Any, err: Any, offsets: dict[str, int],
                      status: Callable[[str, str], None], stats: ConsumeStats) -> None:
    code = err.code()
    if code in (ck.KafkaError._AUTO_OFFSET_RESET, ck.KafkaError.OFFSET_OUT_OF_RANGE):
        # The broker says it no longer has the offset we landed up to (Apache Kafka after a log loss).
        _lost_log(ck, consumer, f"{msg.topic()}/{msg.partition()}", offsets, -1, status, stats)
    elif code != ck.KafkaError._PARTITION_EOF:
        stats.problems.append(err.str())


def produce(bootstrap: str, topic: str, batches: Iterable[list[dict[str, Any]]], *, per_message: int = 1,
            flush_every: int = 10_000) -> int:
    """Send events to a topic (``per_message`` events in each message, keyed by session or order); returns the count."""
    ck = _kafka()
    settings = {"partitioner": "murmur2_random", "linger.ms": 20, "queue.buffering.max.messages": 1_000_000}
    producer = ck.Producer(kafka_client_config(bootstrap, consumer=False, **settings))
    sent = 0
    for batch in batches:
        for i in range(0, len(batch), per_message):
            chunk = batch[i:i + per_message]
            first = chunk[0]
            key = str(first.get("session_id") or first.get("order_id") or first.get("event_id"))
            value = json.dumps(chunk[0] if per_message == 1 else chunk, separators=(",", ":"))
            while True:
                try:
                    producer.produce(topic, value=value.encode(), key=key.encode())
                    break
                except BufferError:
                    producer.poll(0.1)
            sent += len(chunk)
            if sent % flush_every < per_message:
                producer.poll(0)
    remaining = producer.flush(60)
    if remaining:
        raise KafkaUnavailableError(f"{remaining} messages were not delivered to {bootstrap} within 60 s")
    return sent
