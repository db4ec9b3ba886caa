"""Alert rules from a TOML file: threshold, anomaly and no-data rules, silences and notification channels.

Example::

    [[rule]]
    name = "orders stopped"
    kpi = "orders"
    kind = "anomaly"          # anomaly | threshold | nodata
    direction = "low"         # anomaly: low (drops) or high (spikes)
    window = "15m"
    for = "15m"               # pending period: the condition must hold this long
    resolve_after = 4         # windows the condition must stay clear before the alert resolves
    severity = "critical"
    group = "sales"           # alerts of one group firing together are sent as one notification

    [[rule]]
    name = "payment failures"
    kpi = "payment_failure_rate"
    kind = "threshold"
    op = ">"
    value = 0.2
    window = "15m"

    [[silence]]
    rule = "orders stopped"
    until = "2026-12-24T18:00:00Z"

    [notify]
    webhook = ["http://127.0.0.1:9000/hook"]
    smtp = { host = "127.0.0.1", port = 8025, sender = "shop@example.com", to = ["ops@example.com"] }
    retries = 3
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from shopops.errors import ShopopsError
from shopops.monitor._windows import KPIS

__all__ = ["DEFAULT_RULES", "NotifyConfig", "Rule", "RuleSet", "RulesError", "Silence", "load_rules", "parse_duration"]

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RulesError(ShopopsError):
    """An alert rule file that cannot be used as written."""


def parse_duration(text: Any, where: str) -> int:
    """Seconds of a duration such as ``90s``, ``15m``, ``2h`` or ``1d``."""
    match = _DURATION.match(str(text))
    if not match:
        raise RulesError(f"{where}: {text!r} is not a duration; write a number and a unit, e.g. 30s, 15m, 2h, 1d")
    return int(match.group(1)) * _UNIT[match.group(2)]


@dataclass(frozen=True)
class Rule:
    """One alert rule."""

    name: str
    kpi: str
    kind: str = "anomaly"
    direction: str = "low"
    op: str = "<"
    value: float = 0.0
    window_s: int = 900
    for_s: int = 0
    severity: str = "warning"
    group: str = "default"
    alpha: float = 1e-4
    min_count: float = 0.0
    resolve_after: int = 1

    @property
    def window_min(self) -> int:
        """The window in minutes."""
        return self.window_s // 60


@dataclass(frozen=True)
class Silence:
    """No notification for a rule until ``until`` (Unix seconds)."""

    rule: str
    until: float
    comment: str = ""


@dataclass(frozen=True)
class NotifyConfig:
    """Where notifications go and how hard delivery is tried."""

    webhooks: tuple[str, ...] = ()
    smtp: dict[str, Any] = field(default_factory=dict)
    retries: int = 3
    timeout_s: float = 5.0
    backoff_s: float = 0.5


@dataclass(frozen=True)
class RuleSet:
    """The rules, silences and channels of one file."""

    rules: tuple[Rule, ...]
    silences: tuple[Silence, ...] = ()
    notify: NotifyConfig = field(default_factory=NotifyConfig)


DEFAULT_RULES = RuleSet((
    Rule("orders dropped", "orders", kind="anomaly", direction="low", window_s=900, severity="critical",
         group="sales", alpha=1e-3, resolve_after=4),
    Rule("cancellations spiking", "cancellations", kind="anomaly", direction="high", window_s=900,
         severity="warning", group="sales", resolve_after=4),
    Rule("payment failures high", "payment_failure_rate", kind="threshold", op=">", value=0.25, window_s=900,
         for_s=900, severity="critical", group="payments", min_count=4),
    Rule("no events", "events", kind="nodata", window_s=900, for_s=1800, severity="critical", group="intake"),
))

_KINDS = ("anomaly", "threshold", "nodata")
_OPS = ("<", "<=", ">", ">=")


def _rule(raw: dict[str, Any], i: int, where: str) -> Rule:
    at = f"{where}: rule {i + 1} ({raw.get('name', 'no name')!r})"
    unknown = set(raw) - {"name", "kpi", "kind", "direction", "op", "value", "window", "for", "severity", "group",
                          "alpha", "min_count", "resolve_after"}
    if unknown:
        raise RulesError(f"{at}: unknown key(s) {', '.join(sorted(unknown))}")
    name = str(raw.get("name") or "").strip()
    if not name:
        raise RulesError(f"{at}: every rule needs a name")
    kpi = raw.get("kpi")
    if kpi not in KPIS:
        raise RulesError(f"{at}: unknown KPI {kpi!r}; the KPIs are: {', '.join(KPIS)}")
    kind = raw.get("kind", "anomaly")
    if kind not in _KINDS:
        raise RulesError(f"{at}: kind must be one of {', '.join(_KINDS)}, not {kind!r}")
    op = raw.get("op", "<")
    if op not in _OPS:
        raise RulesError(f"{at}: op must be one of {', '.join(_OPS)}, not {op!r}")
    direction = raw.get("direction", "low")
    if direction not in ("low", "high"):
        raise RulesError(f"{at}: direction must be low or high, not {direction!r}")
    window_s = parse_duration(raw.get("window", "15m"), f"{at}: window")
    if window_s % 60 or window_s // 60 not in (1, 5, 15, 60):
        raise RulesError(f"{at}: window must be 1m, 5m, 15m or 60m (the windows kept), not {raw.get('window')!r}")
    for_s = parse_duration(raw.get("for", "0m"), f"{at}: for")
    try:
        value = float(raw.get("value", 0.0))
        alpha = float(raw.get("alpha", 1e-4))
        min_count = float(raw.get("min_count", 0.0))
        resolve_after = int(raw.get("resolve_after", 1))
    except (TypeError, ValueError):
        raise RulesError(f"{at}: value, alpha, min_count and resolve_after must be numbers") from None
    if resolve_after < 1:
        raise RulesError(f"{at}: resolve_after counts windows and must be at least 1")
    if not 0 < alpha < 1:
        raise RulesError(f"{at}: alpha must be between 0 and 1, not {alpha}")
    if kind == "anomaly" and kpi in ("conversion", "add_to_cart_rate", "payment_failure_rate", "cancellation_rate",
                                     "gmv"):
        raise RulesError(f"{at}: anomaly rules take a count KPI ({kpi!r} is not a count); use a threshold rule")
    return Rule(name, str(kpi), str(kind), str(direction), str(op), value, window_s, for_s,
                str(raw.get("severity", "warning")), str(raw.get("group", "default")), alpha, min_count, resolve_after)


def load_rules(path: Path | None) -> RuleSet:
    """Read a rule file; ``None`` gives :data:`DEFAULT_RULES`.

    Raises
    ------
    RulesError
        The file is not TOML, or a rule names an unknown KPI, kind or operator, or a bad duration.
    """
    if path is None:
        return DEFAULT_RULES
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"cannot read the rule file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from None
    rules = tuple(_rule(raw, i, str(path)) for i, raw in enumerate(data.get("rule", [])))
    if not rules:
        raise RulesError(f"{path}: no [[rule]] tables; add at least one rule")
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise RulesError(f"{path}: rule names must be unique")
    silences = []
    for i, raw in enumerate(data.get("silence", [])):
        if raw.get("rule") not in names:
            raise RulesError(f"{path}: silence {i + 1} names no rule of this file: {raw.get('rule')!r}")
        try:
            until = datetime.fromisoformat(str(raw["until"])).timestamp()
        except (KeyError, ValueError):
            raise RulesError(f"{path}: silence {i + 1}: until must be an ISO 8601 time") from None
        silences.append(Silence(str(raw["rule"]), until, str(raw.get("comment", ""))))
    notify_raw = data.get("notify", {})
    hooks = notify_raw.get("webhook", [])
    notify = NotifyConfig(tuple([hooks] if isinstance(hooks, str) else hooks), dict(notify_raw.get("smtp", {})),
                          int(notify_raw.get("retries", 3)), float(notify_raw.get("timeout_s", 5.0)),
                          float(notify_raw.get("backoff_s", 0.5)))
    return RuleSet(rules, tuple(silences), notify)
