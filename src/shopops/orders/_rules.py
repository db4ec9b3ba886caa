"""Triage rules: a TOML file of conditions and actions, checked on load, decided by ``rule-engine``.

A rule file lists ``[[rule]]`` tables::

    default = "approve"            # the action when no deciding rule matches

    [[rule]]
    name = "likely fraud"
    when = "risk >= 0.5 and new_customer"
    action = "hold"                 # approve, hold, cancel decide; expedite, split, notify flag
    reason = "fraud_risk"           # required with hold and cancel
    priority = 10                   # lower runs first (file order breaks ties)
    stop = true                     # no later rule is looked at when this one matches

A single order is decided by ``rule-engine`` (typed symbols, no ``eval``). A batch is decided by
the same rules compiled from rule-engine's syntax tree to NumPy expressions over columns; a test
checks that both paths give identical decisions.
"""

from __future__ import annotations

import functools
import operator
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import rule_engine
from rule_engine import ast as re_ast

from shopops.errors import ShopopsError

__all__ = [
    "ACTIONS",
    "DECIDING_ACTIONS",
    "FIELDS",
    "FLAG_ACTIONS",
    "Rule",
    "RuleError",
    "RuleSet",
    "default_rules_path",
    "load_rules",
]

DECIDING_ACTIONS = ("approve", "hold", "cancel")
FLAG_ACTIONS = ("expedite", "split", "notify")
ACTIONS = DECIDING_ACTIONS + FLAG_ACTIONS

_F, _I, _B, _S = rule_engine.DataType.FLOAT, rule_engine.DataType.FLOAT, rule_engine.DataType.BOOLEAN, \
    rule_engine.DataType.STRING
#: What a rule can look at: the order, the customer's history before it, and the model scores.
FIELDS: dict[str, tuple[Any, str]] = {
    "order_value": (_F, "goods value of the order after discounts"),
    "units": (_I, "units ordered"),
    "lines": (_I, "product lines"),
    "coupon": (_B, "a coupon or voucher was used"),
    "payment_type": (_S, "how it was paid (card, paypal, bank_transfer, …)"),
    "channel": (_S, "web, app, marketplace"),
    "ship_country": (_S, "destination country"),
    "abroad": (_B, "ships outside the shop's home country"),
    "carrier": (_S, "carrier service"),
    "warehouse": (_S, "warehouse it ships from"),
    "express": (_B, "express delivery was bought"),
    "address_check": (_S, "address verification: ok, partial, fail"),
    "hour": (_I, "hour of day the order was placed (0-23)"),
    "weekday": (_I, "day of week the order was placed (0 = Monday)"),
    "guest": (_B, "placed without a customer account"),
    "new_customer": (_B, "no earlier order of the customer"),
    "prior_orders": (_I, "earlier orders of the customer"),
    "prior_returns": (_I, "earlier orders of the customer with a return"),
    "prior_cancellations": (_I, "earlier cancelled orders of the customer"),
    "account_age_days": (_F, "days since the customer was acquired"),
    "minutes_since_previous": (_F, "minutes since the customer's previous order (1e9 when none)"),
    "same_value_as_previous": (_B, "same goods value as the customer's previous order"),
    "backlog_days": (_F, "the warehouse's open backlog when the order came in, in days of its picking"),
    "risk": (_F, "calibrated probability that the order is bad (fraud, chargeback, abuse, duplicate)"),
    "late_risk": (_F, "calibrated probability that it arrives after the promised date"),
    "delivery_days_p50": (_F, "predicted days from order to delivery, median"),
    "delivery_days_p90": (_F, "predicted days from order to delivery, 90th percentile"),
    "promise_days": (_F, "days from order to the promised delivery"),
    "hold_risk": (_F, "the risk from which to hold: on the calibration months, the highest at which the default "
                      "rules keep bad orders under the bound among those they approve"),
}


class RuleError(ShopopsError, ValueError):
    """A rule file that cannot be used; the message names the file, the line and what to fix."""


@dataclass(frozen=True)
class Rule:
    """One triage rule, parsed and type-checked."""

    name: str
    when: str
    action: str
    reason: str = ""
    priority: int = 100
    stop: bool = False
    line: int = 0
    compiled: rule_engine.Rule | None = field(default=None, compare=False, repr=False)

    @property
    def decides(self) -> bool:
        """True for approve, hold and cancel; flags (expedite, split, notify) only add to a decision."""
        return self.action in DECIDING_ACTIONS


def _context() -> rule_engine.Context:
    return rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(
        {name: kind for name, (kind, _) in FIELDS.items()}))


def _rule_lines(text: str) -> list[int]:
    """Line number (1-based) of each ``[[rule]]`` header, in file order."""
    return [i + 1 for i, line in enumerate(text.splitlines()) if re.match(r"\s*\[\[\s*rule\s*\]\]", line)]


_COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


def _conjuncts(node: Any) -> list[Any]:
    if isinstance(node, re_ast.LogicExpression) and node.type == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _bound(node: Any) -> tuple[str, str, float] | None:
    """``symbol op number`` (either side) as (symbol, op, value), else None."""
    if not isinstance(node, re_ast.ArithmeticComparisonExpression):
        return None
    flip = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}
    if isinstance(node.left, re_ast.SymbolExpression) and isinstance(node.right, re_ast.FloatExpression):
        return node.left.name, node.type, float(node.right.value)
    if isinstance(node.right, re_ast.SymbolExpression) and isinstance(node.left, re_ast.FloatExpression):
        return node.right.name, flip[node.type], float(node.left.value)
    return None


@dataclass
class _Box:
    """The region of the order space a conjunction of bounds covers; ``other`` are the terms not analysed."""

    lo: dict[str, tuple[float, bool]] = field(default_factory=dict)  # value, inclusive
    hi: dict[str, tuple[float, bool]] = field(default_factory=dict)
    other: set[str] = field(default_factory=set)

    @staticmethod
    def of(rule: Rule) -> _Box:
        box = _Box()
        assert rule.compiled is not None
        for term in _conjuncts(rule.compiled.statement.expression):
            b = _bound(term)
            if b is None:
                box.other.add(_term_text(term))
                continue
            name, op, value = b
            if op in ("gt", "ge"):
                cur = box.lo.get(name)
                new = (value, op == "ge")
                if cur is None or value > cur[0] or (value == cur[0] and not new[1]):
                    box.lo[name] = new
            else:
                cur = box.hi.get(name)
                new = (value, op == "le")
                if cur is None or value < cur[0] or (value == cur[0] and not new[1]):
                    box.hi[name] = new
        return box

    def empty_symbol(self) -> str | None:
        for name, (lo, lo_inc) in self.lo.items():
            if name in self.hi:
                hi, hi_inc = self.hi[name]
                if lo > hi or (lo == hi and not (lo_inc and hi_inc)):
                    return name
        return None

    def covers(self, other: _Box) -> bool:
        """True when every order in ``other`` is also in this box."""
        if not self.other <= other.other:
            return False
        for name, (lo, inc) in self.lo.items():
            theirs = other.lo.get(name)
            if theirs is None or theirs[0] < lo or (theirs[0] == lo and theirs[1] and not inc):
                return False
        for name, (hi, inc) in self.hi.items():
            theirs = other.hi.get(name)
            if theirs is None or theirs[0] > hi or (theirs[0] == hi and theirs[1] and not inc):
                return False
        return True


def _term_text(node: Any) -> str:
    if isinstance(node, re_ast.SymbolExpression):
        return str(node.name)
    if isinstance(node, re_ast.LiteralExpressionBase):
        return str(repr(node.value))
    if isinstance(node, re_ast.UnaryExpression):
        return f"{node.type}({_term_text(node.right)})"
    if isinstance(node, re_ast.ContainsExpression):
        return f"in({_term_text(node.member)},{_term_text(node.container)})"
    if isinstance(node, re_ast.BinaryExpressionBase):
        return f"{node.type}({_term_text(node.left)},{_term_text(node.right)})"
    return type(node).__name__


@dataclass(frozen=True)
class RuleSet:
    """Rules in the order they are looked at, with the action when no deciding rule matches."""

    rules: tuple[Rule, ...]
    default: str = "approve"
    source: str = ""

    # ------------------------------------------------------------------ one order
    def decide(self, order: Mapping[str, Any]) -> dict[str, Any]:
        """Decide one order (a mapping of :data:`FIELDS`) with rule-engine.

        Returns
        -------
        dict
            ``action``, ``reason``, ``rule`` (the deciding rule's name, "" for the default),
            ``flags`` (sorted flag actions) and ``matched`` (names of every matching rule looked at).
        """
        missing = [name for name in self.fields_used() if name not in order]
        if missing:
            raise RuleError(f"the order lacks field(s) {', '.join(missing)} that the rules use")
        action, reason, rule_name = "", "", ""
        flags: set[str] = set()
        matched: list[str] = []
        for rule in self.rules:
            assert rule.compiled is not None
            try:
                hit = rule.compiled.matches(order)
            except rule_engine.errors.EngineError as exc:
                raise RuleError(f"rule {rule.name!r} (line {rule.line}): {exc}") from exc
            if not hit:
                continue
            matched.append(rule.name)
            if rule.decides and not action:
                action, reason, rule_name = rule.action, rule.reason, rule.name
            elif not rule.decides:
                flags.add(rule.action)
            if rule.stop:
                break
        return {"action": action or self.default, "reason": reason, "rule": rule_name,
                "flags": ",".join(sorted(flags)), "matched": ",".join(matched)}

    # ------------------------------------------------------------------ a batch
    def decide_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Decide every row of ``frame`` at once with the rules compiled to NumPy expressions.

        Same semantics as :meth:`decide`, column by column; returns ``action, reason, rule, flags,
        matched`` aligned with ``frame``.
        """
        missing = [name for name in self.fields_used() if name not in frame.columns]
        if missing:
            raise RuleError(f"the orders lack column(s) {', '.join(missing)} that the rules use")
        n = len(frame)
        columns = {name: _column(frame[name], FIELDS[name][0]) for name in self.fields_used()}
        alive = np.ones(n, dtype=bool)
        decided = np.full(n, -1, dtype=np.int64)
        flag_sets = {a: np.zeros(n, dtype=bool) for a in FLAG_ACTIONS}
        matched_parts: list[np.ndarray] = []
        for k, rule in enumerate(self.rules):
            assert rule.compiled is not None
            hit = np.asarray(_vector(rule.compiled.statement.expression, columns, n), dtype=bool) & alive
            matched_parts.append(hit)
            if rule.decides:
                decided = np.where(hit & (decided < 0), k, decided)
            else:
                flag_sets[rule.action] |= hit
            if rule.stop:
                alive &= ~hit
        names = np.array([r.name for r in self.rules] + [""], dtype=object)
        actions = np.array([r.action for r in self.rules] + [self.default], dtype=object)
        reasons = np.array([r.reason for r in self.rules] + [""], dtype=object)
        pick = np.where(decided < 0, len(self.rules), decided)
        flags = _join_columns([(a, flag_sets[a]) for a in sorted(FLAG_ACTIONS)], n)
        matched = _join_columns([(r.name, m) for r, m in zip(self.rules, matched_parts, strict=True)], n)
        return pd.DataFrame({"action": actions[pick], "reason": reasons[pick], "rule": names[pick],
                             "flags": flags, "matched": matched}, index=frame.index)

    def fields_used(self) -> list[str]:
        """The fields the rules read, in :data:`FIELDS` order."""
        return list(_fields_used(self.rules))


@functools.lru_cache(maxsize=64)  # asked for every order decided one by one; the rules do not change
def _fields_used(rules: tuple[Rule, ...]) -> tuple[str, ...]:
    used: set[str] = set()
    for rule in rules:
        assert rule.compiled is not None
        used |= _symbols(rule.compiled.statement.expression)
    return tuple(name for name in FIELDS if name in used)


def _join_columns(parts: list[tuple[str, np.ndarray]], n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    for name, mask in parts:
        if mask.any():
            joined = np.where(out[mask] == "", name, out[mask] + "," + name)
            out[mask] = joined
    return out


def _symbols(node: Any) -> set[str]:
    if isinstance(node, re_ast.SymbolExpression):
        return {node.name}
    found: set[str] = set()
    for attr in ("left", "right", "member", "container", "case", "case_true", "case_false"):
        child = getattr(node, attr, None)
        if isinstance(child, re_ast.ExpressionBase):
            found |= _symbols(child)
    return found


def _column(series: pd.Series, kind: Any) -> np.ndarray:
    if kind == _S:
        return np.asarray(series.astype(object).where(series.notna(), None).to_numpy())
    if kind == _B:
        return np.asarray(series.fillna(False).astype(bool).to_numpy())
    return np.asarray(series.astype(float).to_numpy())


_ARITH: dict[str, Callable[[Any, Any], Any]] = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
                                                "tdiv": operator.truediv, "mod": np.mod}


def _vector(node: Any, cols: dict[str, np.ndarray], n: int) -> Any:
    """Evaluate a rule-engine expression node over columns; raises RuleError on what it cannot vectorise."""
    if isinstance(node, re_ast.SymbolExpression):
        return cols[node.name]
    if isinstance(node, re_ast.ArrayExpression | re_ast.SetExpression):
        return [v.value if isinstance(v, re_ast.LiteralExpressionBase) else v for v in node.value]
    if isinstance(node, re_ast.LiteralExpressionBase):
        value = node.value
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if isinstance(node, re_ast.LogicExpression):
        left, right = _vector(node.left, cols, n), _vector(node.right, cols, n)
        return (_truth(left, n) & _truth(right, n)) if node.type == "and" else (_truth(left, n) | _truth(right, n))
    if isinstance(node, re_ast.UnaryExpression):
        inner = _vector(node.right, cols, n)
        return ~_truth(inner, n) if node.type == "not" else -np.asarray(inner, dtype=float)
    if isinstance(node, re_ast.ContainsExpression):
        container = _vector(node.container, cols, n)
        member = _vector(node.member, cols, n)
        if isinstance(container, list):
            return np.isin(np.asarray(member, dtype=object), np.asarray(container, dtype=object))
        raise RuleError("only `field in [literal, …]` containment can be decided in batch")
    if isinstance(node, re_ast.ArithmeticComparisonExpression):
        return _COMPARE[node.type](np.asarray(_vector(node.left, cols, n), dtype=float),
                                   np.asarray(_vector(node.right, cols, n), dtype=float))
    if isinstance(node, re_ast.ComparisonExpression) and node.type in ("eq", "ne"):
        left, right = _vector(node.left, cols, n), _vector(node.right, cols, n)
        equal = np.asarray(np.broadcast_to(np.asarray(left, dtype=object), (n,)) == right, dtype=bool)
        return equal if node.type == "eq" else ~equal
    if isinstance(node, re_ast.ArithmeticExpression | re_ast.AddExpression | re_ast.SubtractExpression):
        op = _ARITH.get(node.type)
        if op is None:
            raise RuleError(f"operator {node.type!r} cannot be decided in batch")
        with np.errstate(divide="ignore", invalid="ignore"):
            return op(np.asarray(_vector(node.left, cols, n), dtype=float),
                      np.asarray(_vector(node.right, cols, n), dtype=float))
    raise RuleError(f"{type(node).__name__} cannot be decided in batch; keep rules to comparisons, and/or/not, "
                    "arithmetic and `in [...]`")


def _truth(value: Any, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=bool), (n,)).copy()


def default_rules_path() -> Path:
    """The rule file shipped with shopops (a start a shop can edit)."""
    return Path(__file__).with_name("default_rules.toml")


def load_rules(path: Path | str | None = None, *, text: str | None = None) -> RuleSet:
    """Load, parse and check a TOML rule file (the shipped defaults when ``path`` is None).

    Raises
    ------
    RuleError
        A syntax error, an unknown field, a type mismatch, an unknown action, a missing reason, or a
        rule that can never fire (contradictory bounds, or shadowed by an earlier stopping rule),
        with the file and the line.
    """
    where = str(path) if path is not None else ("<text>" if text is not None else str(default_rules_path()))
    if text is None:
        source = Path(path) if path is not None else default_rules_path()
        if not source.is_file():
            raise RuleError(f"{source}: rule file not found")
        text = source.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{where}: not valid TOML: {exc}") from exc
    unknown_top = sorted(set(data) - {"default", "rule"})
    if unknown_top:
        raise RuleError(f"{where}: unknown top-level key(s) {', '.join(unknown_top)}; expected `default` and "
                        "[[rule]] tables")
    default = data.get("default", "approve")
    if default not in DECIDING_ACTIONS:
        raise RuleError(f"{where}: default must be one of {', '.join(DECIDING_ACTIONS)}, not {default!r}")
    entries = data.get("rule", [])
    if not isinstance(entries, list):
        raise RuleError(f"{where}: `rule` must be a list of [[rule]] tables")
    lines = _rule_lines(text)
    context = _context()
    rules: list[Rule] = []
    allowed = {"name", "when", "action", "reason", "priority", "stop"}
    for i, entry in enumerate(entries):
        line = lines[i] if i < len(lines) else 0
        at = f"{where}, line {line}"
        extra = sorted(set(entry) - allowed)
        if extra:
            raise RuleError(f"{at}: unknown key(s) {', '.join(extra)}; a rule has {', '.join(sorted(allowed))}")
        name = str(entry.get("name", f"rule {i + 1}"))
        when = entry.get("when")
        if not isinstance(when, str) or not when.strip():
            raise RuleError(f"{at}: rule {name!r} needs a `when` condition (a string)")
        action = entry.get("action")
        if action not in ACTIONS:
            raise RuleError(f"{at}: rule {name!r} has action {action!r}; use one of {', '.join(ACTIONS)}")
        reason = str(entry.get("reason", ""))
        if action in ("hold", "cancel") and not reason:
            raise RuleError(f"{at}: rule {name!r} ({action}) needs a `reason` code")
        priority, stop = entry.get("priority", 100), entry.get("stop", False)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise RuleError(f"{at}: rule {name!r}: priority must be an integer")
        if not isinstance(stop, bool):
            raise RuleError(f"{at}: rule {name!r}: stop must be true or false")
        try:
            compiled = rule_engine.Rule(when, context=context)
        except rule_engine.errors.SymbolResolutionError as exc:
            raise RuleError(f"{at}: rule {name!r} uses unknown field {exc.symbol_name!r}; known fields: "
                            f"{', '.join(FIELDS)}") from exc
        except rule_engine.errors.RuleSyntaxError as exc:
            raise RuleError(f"{at}: rule {name!r}: syntax error in {when!r}: {exc.message}") from exc
        except rule_engine.errors.EngineError as exc:
            raise RuleError(f"{at}: rule {name!r}: {exc.message} in {when!r} (compare numbers with numbers, "
                            "text with quoted text)") from exc
        if compiled.statement.expression.result_type not in (rule_engine.DataType.BOOLEAN,
                                                              rule_engine.DataType.UNDEFINED):
            raise RuleError(f"{at}: rule {name!r}: `when` must be true or false, not a "
                            f"{compiled.statement.expression.result_type.name.lower()}")
        rules.append(Rule(name, when, str(action), reason, int(priority), stop, line, compiled))
    ordered = sorted(rules, key=lambda r: r.priority)  # stable: file order breaks ties
    _check_reachable(ordered, where)
    ruleset = RuleSet(tuple(ordered), default, where)
    for rule in ordered:  # every rule must also compile for the batch path
        try:
            assert rule.compiled is not None
            _vector(rule.compiled.statement.expression,
                    {k: np.zeros(1, dtype=object if FIELDS[k][0] == _S else float) for k in FIELDS}, 1)
        except RuleError as exc:
            raise RuleError(f"{where}, line {rule.line}: rule {rule.name!r}: {exc}") from exc
    return ruleset


def _check_reachable(rules: list[Rule], where: str) -> None:
    boxes: list[tuple[Rule, _Box]] = []
    for rule in rules:
        box = _Box.of(rule)
        empty = box.empty_symbol()
        if empty is not None:
            raise RuleError(f"{where}, line {rule.line}: rule {rule.name!r} can never fire: its bounds on "
                            f"{empty!r} contradict each other")
        for earlier, earlier_box in boxes:
            if earlier.stop and earlier_box.covers(box):
                raise RuleError(f"{where}, line {rule.line}: rule {rule.name!r} can never fire: rule "
                                f"{earlier.name!r} (line {earlier.line}) matches every order it matches and stops")
        boxes.append((rule, box))
