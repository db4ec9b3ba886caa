"""Alerts: rule evaluation on closed windows, the lifecycle in the operational store, notifications.

An alert is identified by its fingerprint (the rule and its group). While one is open (firing or
acknowledged) the same condition raises no second alert, in this process or another one sharing
the store: the check and the insert are one ``BEGIN IMMEDIATE`` transaction. When the condition
clears the alert is resolved. Notifications go through a queue to a worker thread, so a webhook
that hangs or answers 500 is retried with back-off and recorded, and never blocks intake.
"""

from __future__ import annotations

import functools
import json
import queue
import smtplib
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import numpy as np
import pandas as pd

from shopops.errors import ShopopsError
from shopops.monitor._baseline import CountDetector, HourOfWeekBaseline
from shopops.monitor._rules import NotifyConfig, Rule, RuleSet
from shopops.opstore import OperationalStore, utc_now

__all__ = ["AlertBook", "Notifier", "RuleEvaluator", "ensure_tables"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS monitor_alert (
    alert_id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL,
    kpi TEXT NOT NULL,
    severity TEXT NOT NULL,
    grp TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
    condition_since TEXT NOT NULL,
    fired_at TEXT NOT NULL,
    fired_clock REAL NOT NULL,
    last_value REAL,
    expected REAL,
    p_value REAL,
    summary TEXT NOT NULL,
    silenced INTEGER NOT NULL DEFAULT 0,
    acked_at TEXT,
    acked_by TEXT,
    resolved_at TEXT
);
CREATE INDEX IF NOT EXISTS monitor_alert_open ON monitor_alert (fingerprint, state);
CREATE TABLE IF NOT EXISTS monitor_silence (
    silence_id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    until REAL NOT NULL,
    comment TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS monitor_delivery (
    delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_ids TEXT NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS monitor_offset (
    consumer_group TEXT NOT NULL,
    topic_partition TEXT NOT NULL,
    next_offset INTEGER NOT NULL,
    batch_id TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (consumer_group, topic_partition)
);
CREATE TABLE IF NOT EXISTS monitor_status (
    component TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    detail TEXT,
    updated_at TEXT NOT NULL
);
"""


def ensure_tables(store: OperationalStore) -> OperationalStore:
    """Declare the monitor's tables in the operational store."""
    store.ensure("monitor", 1, _SCHEMA)
    return store


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


class AlertBook:
    """The alerts, silences, deliveries, offsets and status rows of one operational store."""

    def __init__(self, store: OperationalStore) -> None:
        self.store = ensure_tables(store)

    def open_alert(self, rule: Rule, *, since: float, clock: float, value: float | None, expected: float | None,
                   p_value: float | None, summary: str, silenced: bool) -> dict[str, Any] | None:
        """Record a firing alert unless one is open for the same fingerprint; returns the new alert or None."""
        fingerprint = f"{rule.name}|{rule.group}"
        with self.store.write() as con:
            row = con.execute("SELECT alert_id FROM monitor_alert WHERE fingerprint = ? AND state != 'resolved'",
                              [fingerprint]).fetchone()
            if row is not None:
                con.execute("UPDATE monitor_alert SET last_value = ?, p_value = ? WHERE alert_id = ?",
                            [value, p_value, row[0]])
                return None
            cur = con.execute(
                "INSERT INTO monitor_alert (fingerprint, rule, kpi, severity, grp, state, condition_since, fired_at, "
                "fired_clock, last_value, expected, p_value, summary, silenced) "
                "VALUES (?, ?, ?, ?, ?, 'firing', ?, ?, ?, ?, ?, ?, ?, ?)",
                [fingerprint, rule.name, rule.kpi, rule.severity, rule.group, _iso(since), utc_now(), clock, value,
                 expected, p_value, summary, int(silenced)])
            alert_id = cur.lastrowid
        return self.alert(int(alert_id or 0))

    def resolve(self, rule: Rule) -> int:
        """Resolve the open alert of a rule; returns how many were resolved."""
        with self.store.write() as con:
            cur = con.execute("UPDATE monitor_alert SET state = 'resolved', resolved_at = ? "
                              "WHERE fingerprint = ? AND state != 'resolved'", [utc_now(), f"{rule.name}|{rule.group}"])
            return int(cur.rowcount)

    def acknowledge(self, alert_id: int, by: str) -> dict[str, Any]:
        """Acknowledge a firing alert (it stays open until its condition clears)."""
        with self.store.write() as con:
            row = con.execute("SELECT state FROM monitor_alert WHERE alert_id = ?", [alert_id]).fetchone()
            if row is None:
                raise ShopopsError(f"no alert with id {alert_id}")
            if row[0] == "resolved":
                raise ShopopsError(f"alert {alert_id} is already resolved")
            con.execute("UPDATE monitor_alert SET state = 'acknowledged', acked_at = ?, acked_by = ? "
                        "WHERE alert_id = ?", [utc_now(), by, alert_id])
        return self.alert(alert_id)

    def alert(self, alert_id: int) -> dict[str, Any]:
        """One alert as a dict."""
        frame = self.store.frame("SELECT * FROM monitor_alert WHERE alert_id = ?", [alert_id])
        if frame.empty:
            raise ShopopsError(f"no alert with id {alert_id}")
        return _records(frame)[0]

    def alerts(self, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Alerts, newest first (``state``: firing, acknowledged, resolved or open)."""
        if state == "open":
            where, params = "WHERE state != 'resolved'", []
        elif state:
            where, params = "WHERE state = ?", [state]
        else:
            where, params = "", []
        frame = self.store.frame(f"SELECT * FROM monitor_alert {where} ORDER BY alert_id DESC LIMIT ?",
                                 [*params, limit])
        return _records(frame)

    def add_silence(self, rule: str, until: float, by: str, comment: str = "") -> dict[str, Any]:
        """Silence a rule's notifications until ``until`` (Unix seconds)."""
        if until <= time.time():
            raise ShopopsError("a silence must end in the future")
        with self.store.write() as con:
            cur = con.execute("INSERT INTO monitor_silence (rule, until, comment, created_by, created_at) "
                              "VALUES (?, ?, ?, ?, ?)", [rule, until, comment, by, utc_now()])
        return {"silence_id": cur.lastrowid, "rule": rule, "until": _iso(until), "comment": comment}

    def silenced(self, rule: str, now: float) -> bool:
        """Whether a stored silence covers the rule at ``now``."""
        with self.store.read() as con:
            row = con.execute("SELECT 1 FROM monitor_silence WHERE rule = ? AND until > ?", [rule, now]).fetchone()
        return row is not None

    def record_delivery(self, alert_ids: list[int], channel: str, target: str, attempt: int, ok: bool,
                        detail: str) -> None:
        """Record one delivery attempt."""
        with self.store.write() as con:
            con.execute("INSERT INTO monitor_delivery (alert_ids, channel, target, attempt, ok, detail, at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", [json.dumps(alert_ids), channel, target, attempt, int(ok),
                                                         detail[:500], utc_now()])

    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery attempt, oldest first."""
        return _records(self.store.frame("SELECT * FROM monitor_delivery ORDER BY delivery_id"))

    def set_offsets(self, group: str, offsets: dict[str, int], batch_id: str | None) -> None:
        """Mirror a landed batch's Kafka offsets (the lake's commit record is the one that counts)."""
        with self.store.write() as con:
            con.executemany(
                "INSERT INTO monitor_offset VALUES (?, ?, ?, ?, ?) ON CONFLICT (consumer_group, topic_partition) "
                "DO UPDATE SET next_offset = excluded.next_offset, batch_id = excluded.batch_id, "
                "updated_at = excluded.updated_at",
                [(group, tp, off, batch_id, utc_now()) for tp, off in offsets.items()])

    def set_status(self, component: str, status: str, detail: str = "") -> None:
        """Record the state of a running part (``consumer:GROUP``: connected, broker unreachable, …)."""
        with self.store.write() as con:
            con.execute("INSERT INTO monitor_status VALUES (?, ?, ?, ?) ON CONFLICT (component) DO UPDATE SET "
                        "status = excluded.status, detail = excluded.detail, updated_at = excluded.updated_at",
                        [component, status, detail, utc_now()])

    def status(self) -> list[dict[str, Any]]:
        """Every status row."""
        return _records(self.store.frame("SELECT * FROM monitor_status ORDER BY component"))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


@dataclass
class _Pending:
    since: float  # start of the first window where the condition held


class RuleEvaluator:
    """Evaluate the rules on each closed window and move alerts through their lifecycle.

    Parameters
    ----------
    ruleset : RuleSet
        The rules, the file's silences and the channels.
    book : AlertBook
        Where alerts live.
    baselines : dict
        Hour-of-week baselines by KPI (anomaly rules without one are skipped, and say so in ``skipped``).
    notify : callable or None
        Called with the list of alerts that fired together in one group.
    """

    def __init__(self, ruleset: RuleSet, book: AlertBook, baselines: dict[str, HourOfWeekBaseline],
                 notify: Callable[[list[dict[str, Any]]], None] | None = None) -> None:
        self.ruleset = ruleset
        self.book = book
        self.baselines = baselines
        self.notify = notify
        self._pending: dict[str, _Pending] = {}
        self._clear: dict[str, int] = {}  # windows in a row the condition has been clear
        self.skipped = sorted({r.name for r in ruleset.rules if r.kind == "anomaly" and r.kpi not in baselines})

    def _condition(self, rule: Rule, row: dict[str, Any], history: list[dict[str, Any]]
                   ) -> tuple[bool, float | None, float | None, float | None]:
        value = row.get(rule.kpi)
        if rule.kind == "nodata":
            return (row.get("events") or 0) == 0, value, None, None
        if rule.kind == "threshold":
            if value is None:
                return False, None, None, None
            if rule.min_count:
                base = {"payment_failure_rate": "payment_attempts", "cancellation_rate": "orders",
                        "conversion": "sessions", "add_to_cart_rate": "sessions"}.get(rule.kpi, rule.kpi)
                if (row.get(base) or 0) < rule.min_count:
                    return False, value, None, None
            holds = {"<": value < rule.value, "<=": value <= rule.value, ">": value > rule.value,
                     ">=": value >= rule.value}[rule.op]
            return holds, value, rule.value, None
        baseline = self.baselines.get(rule.kpi)
        if baseline is None or baseline.window_min != rule.window_min:
            return False, value, None, None
        detector = CountDetector(baseline, direction="low" if rule.direction == "low" else "high", alpha=rule.alpha)
        # A week and the longest span: the detector's level factor looks at the week before the spans it tests.
        recent = history[-(7 * 24 * 60 // rule.window_min + 32):]
        starts = np.array([h["start"] for h in recent])
        counts = np.array([h.get(rule.kpi) or 0.0 for h in recent])
        found = detector.detect(starts, counts)
        return found.p_value < rule.alpha, found.observed, found.expected, found.p_value

    def evaluate(self, window: str, row: dict[str, Any], history: list[dict[str, Any]], now: float
                 ) -> list[dict[str, Any]]:
        """Evaluate every rule on the window ``row`` just closed; returns the alerts that fired."""
        fired: list[dict[str, Any]] = []
        for rule in self.ruleset.rules:
            if f"{rule.window_min}m" != window:
                continue
            holds, value, expected, p_value = self._condition(rule, row, history)
            if not holds:
                self._pending.pop(rule.name, None)
                self._clear[rule.name] = self._clear.get(rule.name, 0) + 1
                if self._clear[rule.name] >= rule.resolve_after:
                    self.book.resolve(rule)
                continue
            self._clear[rule.name] = 0
            pending = self._pending.setdefault(rule.name, _Pending(row["start"]))
            if row["end"] - pending.since < max(rule.for_s, rule.window_s):
                continue
            silenced = any(s.rule == rule.name and s.until > now for s in self.ruleset.silences) \
                or self.book.silenced(rule.name, now)
            summary = _summary(rule, value, expected, p_value, row)
            alert = self.book.open_alert(rule, since=pending.since, clock=row["end"], value=value,
                                         expected=expected, p_value=p_value, summary=summary, silenced=silenced)
            if alert is not None and not silenced:
                fired.append(alert)
        if fired and self.notify is not None:
            groups: dict[str, list[dict[str, Any]]] = {}
            for alert in fired:
                groups.setdefault(str(alert["grp"]), []).append(alert)
            for alerts in groups.values():
                self.notify(alerts)
        return fired


def _summary(rule: Rule, value: float | None, expected: float | None, p_value: float | None,
             row: dict[str, Any]) -> str:
    when = _iso(row["end"])
    if rule.kind == "nodata":
        return f"{rule.name}: no events in the {rule.window_min}-minute window ending {when}"
    if rule.kind == "threshold":
        return f"{rule.name}: {rule.kpi} = {value:.4g} {rule.op} {rule.value:g} (window ending {when})"
    return (f"{rule.name}: {rule.kpi} {value:g} where {expected:.1f} are normal for this hour of the week "
            f"(p = {p_value:.2g}, window ending {when})")


class Notifier:
    """Deliver alert notifications to webhooks and e-mail from a worker thread, with retries.

    Parameters
    ----------
    config : NotifyConfig
        Webhook URLs, SMTP settings, retries, timeout and back-off.
    book : AlertBook
        Where every attempt is recorded.
    """

    def __init__(self, config: NotifyConfig, book: AlertBook) -> None:
        self.config = config
        self.book = book
        self._queue: queue.Queue[list[dict[str, Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="shopops-notifier", daemon=True)
        self._thread.start()

    def __call__(self, alerts: list[dict[str, Any]]) -> None:
        """Queue a notification (returns at once)."""
        self._queue.put(alerts)

    def close(self, timeout: float = 10.0) -> None:
        """Finish what is queued and stop the worker."""
        self._queue.put(None)
        self._thread.join(timeout)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every queued notification has been tried to the end."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)

    def _run(self) -> None:
        while True:
            alerts = self._queue.get()
            try:
                if alerts is None:
                    return
                self._deliver(alerts)
            finally:
                self._queue.task_done()

    def _deliver(self, alerts: list[dict[str, Any]]) -> None:
        for url in self.config.webhooks:
            self._try("webhook", url, alerts, functools.partial(self._post, url, alerts))
        if self.config.smtp:
            target = ",".join(self.config.smtp.get("to", []))
            self._try("email", target, alerts, lambda: self._mail(alerts))

    def _try(self, channel: str, target: str, alerts: list[dict[str, Any]], send: Callable[[], str]) -> None:
        ids = [int(a["alert_id"]) for a in alerts]
        for attempt in range(1, self.config.retries + 2):
            try:
                detail = send()
                self.book.record_delivery(ids, channel, target, attempt, True, detail)
                return
            except (OSError, smtplib.SMTPException, urllib.error.URLError, ValueError) as exc:
                self.book.record_delivery(ids, channel, target, attempt, False, f"{type(exc).__name__}: {exc}")
                if attempt <= self.config.retries:
                    time.sleep(self.config.backoff_s * 2 ** (attempt - 1))

    def _post(self, url: str, alerts: list[dict[str, Any]]) -> str:
        body = json.dumps({"alerts": alerts, "sent_at": utc_now()}, default=str).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
            return f"HTTP {response.status}"

    def _mail(self, alerts: list[dict[str, Any]]) -> str:
        smtp = self.config.smtp
        message = EmailMessage()
        worst = "critical" if any(a["severity"] == "critical" for a in alerts) else alerts[0]["severity"]
        message["Subject"] = f"[shopops {worst}] " + "; ".join(str(a["rule"]) for a in alerts)
        message["From"] = str(smtp.get("sender", "shopops@localhost"))
        message["To"] = ", ".join(smtp.get("to", []))
        message.set_content("\n".join(str(a["summary"]) for a in alerts))
        with smtplib.SMTP(str(smtp.get("host", "127.0.0.1")), int(smtp.get("port", 25)),
                          timeout=self.config.timeout_s) as client:
            client.send_message(message)
        return "sent"
