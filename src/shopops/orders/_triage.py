"""Triage: score the orders, decide them with the rules, store the decisions, and replay rules on history."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from shopops.opstore import OperationalStore
from shopops.orders._features import OrdersError, order_features
from shopops.orders._models import DEFAULT_HOLD_RISK, OrderScorer
from shopops.orders._rules import RuleSet, load_rules
from shopops.orders._store import DecisionStore
from shopops.result import Result
from shopops.warehouse import Reader

__all__ = ["BAD_SHARE_BOUND", "RuleReplay", "TrainResult", "TriageResult", "choose_hold_risk", "decide_one",
           "load_scorer", "replay_rules", "score_and_decide", "train_scores", "triage"]

_MODEL_FILE = Path("models") / "orders" / "scorer.pkl"


@dataclass(kw_only=True)
class TrainResult(Result):
    """The trained order scores and their holdout metrics."""

    capability: ClassVar[str] = "orders"
    path: Path | None = None
    scorer: Any = None


@dataclass(kw_only=True)
class TriageResult(Result):
    """Decisions of a triage run: ``decisions`` (one row per order) and ``summary`` (per action)."""

    capability: ClassVar[str] = "orders"
    decisions: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(kw_only=True)
class RuleReplay(Result):
    """What each rule would have done on history, and what it would have caught or cost."""

    capability: ClassVar[str] = "orders"
    rules: pd.DataFrame = field(default_factory=pd.DataFrame)
    decisions: pd.DataFrame = field(default_factory=pd.DataFrame)


#: The share of bad orders the default rules may let through among the orders they approve.
BAD_SHARE_BOUND = 0.005


def choose_hold_risk(frame: pd.DataFrame, scorer: OrderScorer, rules: RuleSet, rows: np.ndarray,
                     bound: float = BAD_SHARE_BOUND) -> tuple[float, dict[str, float]]:
    """The highest ``hold_risk`` at which ``rules`` approve orders of which under ``bound`` are bad, on ``rows``.

    Chosen on the calibration months (never the holdout): every candidate threshold is a risk of one of
    those orders, and the rules decide them all with it, so the other rules' holds count as they will.
    """
    part = frame[rows].reset_index(drop=True)
    if "bad" not in part or part.empty or not part.bad.any():
        return DEFAULT_HOLD_RISK, {}
    scores = scorer.predict(part, reasons=False)
    scored = pd.concat([part.drop(columns=[c for c in scores if c in part]), scores], axis=1)
    bad = part.bad.to_numpy(dtype=bool)
    best: tuple[float, dict[str, float]] | None = None
    for threshold in np.unique(np.quantile(scores.risk, np.linspace(0.5, 1.0, 101))):
        approved = (rules.decide_frame(scored.assign(hold_risk=threshold)).action == "approve").to_numpy()
        share = float(bad[approved].mean()) if approved.any() else 0.0
        if share < bound:
            best = (float(threshold), {"calibration_automation": float(approved.mean()),
                                       "calibration_bad_share_of_auto_approved": share})
    return best if best is not None else (float(scores.risk.min()), {})


def train_scores(reader: Reader, *, holdout_months: int = 3, seed: int = 0, n_estimators: int = 300,
                 rules: RuleSet | None = None, bad_share_bound: float = BAD_SHARE_BOUND) -> TrainResult:
    """Fit the order scores on a time split and save them to ``<data>/models/orders/scorer.pkl``.

    ``hold_risk`` (a field of the rules) is chosen on the calibration months for ``bad_share_bound``
    with ``rules`` (the defaults when None).
    """
    frame = order_features(reader)
    scorer = OrderScorer(holdout_months=holdout_months, seed=seed, n_estimators=n_estimators).fit(frame)
    _, cal, _ = scorer.time_split(frame)
    hold_risk, chosen = choose_hold_risk(frame, scorer, rules or load_rules(), cal, bad_share_bound)
    scorer.hold_risk = hold_risk
    scorer.metrics_.update(hold_risk=hold_risk, bad_share_bound=bad_share_bound, **chosen)
    path = reader.data_dir / _MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(scorer))
    tmp.replace(path)
    return TrainResult(model=f"LightGBM scores, isotonic calibration, version {scorer.version_}",
                       params={"holdout_months": holdout_months, "seed": seed, "n_estimators": n_estimators,
                               "bad_share_bound": bad_share_bound},
                       metrics=scorer.metrics_,
                       path=path, scorer=scorer)


def load_scorer(data_dir: Path) -> OrderScorer:
    """The scorer saved by :func:`train_scores`."""
    path = Path(data_dir) / _MODEL_FILE
    if not path.is_file():
        raise OrdersError(f"{path}: no trained order scores; run `shopops orders train` first")
    scorer = pickle.loads(path.read_bytes())
    if not isinstance(scorer, OrderScorer):
        raise OrdersError(f"{path} does not hold order scores; run `shopops orders train` again")
    if not hasattr(scorer, "delivery_model_"):
        raise OrdersError(f"{path} holds order scores of an older shopops (other features); "
                          "run `shopops orders train` again")
    return scorer


def score_and_decide(frame: pd.DataFrame, rules: RuleSet, scorer: OrderScorer, *, reasons: bool = True) -> pd.DataFrame:
    """Scores, rule decisions and, for the orders held or cancelled, SHAP reasons of feature rows.

    TreeSHAP costs milliseconds per order and model, far more than the scores: it is computed only
    for the orders a person will look at (``reasons=False``: for none).
    """
    scores = scorer.predict(frame, reasons=False)
    scored = pd.concat([frame.drop(columns=[c for c in scores if c in frame]), scores], axis=1)
    decided = rules.decide_frame(scored)
    out = pd.concat([scored[["order_id", "ordered_at", "risk", "late_risk", "delivery_days_p50",
                             "delivery_days_p90"]], decided], axis=1)
    out["reasons"] = ""
    acted = (out.action != "approve").to_numpy()
    if reasons and acted.any():
        explained = scorer.predict(frame[acted], reasons=True)
        text = explained.get("risk_reasons", pd.Series("", index=explained.index)).astype(str)
        out.loc[acted, "reasons"] = "risk: " + text
    return out


def decide_one(order: Mapping[str, Any], rules: RuleSet, scorer: OrderScorer, *,
               reasons: bool = True) -> dict[str, Any]:
    """Score one order (a mapping of its feature fields) and decide it with ``rule-engine``.

    The same decision :func:`score_and_decide` gives in a batch, for a checkout waiting on it: the
    scores come from :meth:`OrderScorer.predict_one`, the rules from :meth:`RuleSet.decide`, and the
    SHAP reasons only when the order is not simply approved.
    """
    scores = scorer.predict_one(order)
    decided = rules.decide({**order, **scores})
    explained = ""
    if reasons and decided["action"] != "approve":
        explained = "risk: " + str(scorer.predict_one(order, reasons=True).get("risk_reasons", ""))
    return {"order_id": order["order_id"], "ordered_at": order["ordered_at"], "risk": scores["risk"],
            "late_risk": scores["late_risk"], "delivery_days_p50": scores["delivery_days_p50"],
            "delivery_days_p90": scores["delivery_days_p90"], **decided, "reasons": explained}


def triage(reader: Reader, *, rules: RuleSet | None = None, since: date | None = None,
           store: OperationalStore | None = None) -> TriageResult:
    """Decide every order since ``since`` not decided before, and store the decisions.

    Running it twice decides nothing twice: orders with a stored decision are skipped.
    """
    rules = rules or load_rules()
    scorer = load_scorer(reader.data_dir)
    decisions = DecisionStore(store or OperationalStore.for_data_dir(reader.data_dir))
    frame = order_features(reader, since=since)
    done = decisions.decided(frame.order_id.tolist())
    frame = frame[~frame.order_id.isin(done)].reset_index(drop=True)
    out = score_and_decide(frame, rules, scorer) if len(frame) else pd.DataFrame(
        columns=["order_id", "ordered_at", "action", "reason", "rule", "flags", "risk", "late_risk",
                 "delivery_days_p50", "delivery_days_p90", "reasons"])
    out["model_version"] = scorer.version_
    out["rules_source"] = rules.source
    new = decisions.record(out)
    summary = out.groupby("action").size().rename("orders").reset_index() if len(out) else pd.DataFrame()
    auto = float((out.action != "hold").mean()) if len(out) else float("nan")
    return TriageResult(model=f"rules {rules.source} on scores {scorer.version_}",
                        params={"since": since, "rules": rules.source},
                        metrics={"decided": new, "skipped_already_decided": len(done), "automation_rate": auto},
                        decisions=out, summary=summary)


def replay_rules(reader: Reader, rules: RuleSet, *, since: date | None = None,
                 hold_cost: float = 2.0, bad_loss_share: float = 1.0) -> RuleReplay:
    """Replay ``rules`` on the orders since ``since``: per rule, matches and (where truth is known) bad caught.

    Costs: a held order costs ``hold_cost`` (a person's minutes); a bad order let through loses
    ``bad_loss_share`` of its value; a held bad order saves that loss.
    """
    scorer = load_scorer(reader.data_dir)
    frame = order_features(reader, since=since)
    if frame.empty:
        raise OrdersError(f"no orders since {since}")
    out = score_and_decide(frame, rules, scorer)
    bad = frame["bad"] if "bad" in frame else pd.Series(np.nan, index=frame.index)
    rows = []
    for rule in rules.rules:
        matched = out.matched.str.split(",").apply(lambda names, n=rule.name: n in names)
        deciding = out.rule == rule.name
        caught = bad[deciding].sum() if "bad" in frame else np.nan
        saved = float((frame.order_value[deciding & bad.fillna(False).astype(bool)] * bad_loss_share).sum()) \
            if "bad" in frame else np.nan
        rows.append({"rule": rule.name, "line": rule.line, "action": rule.action, "matched": int(matched.sum()),
                     "decided": int(deciding.sum()), "bad_caught": caught,
                     "good_held": int((deciding & ~bad.fillna(False).astype(bool)).sum()) if "bad" in frame else None,
                     "saved": saved,
                     "review_cost": float(deciding.sum() * hold_cost) if rule.action == "hold" else 0.0})
    table = pd.DataFrame(rows)
    metrics: dict[str, Any] = {"orders": len(out), "automation_rate": float((out.action != "hold").mean())}
    if "bad" in frame:
        approved = out.action == "approve"
        metrics["bad_share_of_auto_approved"] = float(bad[approved].mean()) if approved.any() else None
        metrics["bad_caught_share"] = float(bad[~approved].sum() / max(bad.sum(), 1))
    return RuleReplay(model=f"rules {rules.source}", params={"since": since, "hold_cost": hold_cost},
                      metrics=metrics, rules=table, decisions=out)
