"""Orders: triage rules on calibrated scores, decisions in the operational store, fulfilment KPIs.

The rules live in a TOML file (:func:`load_rules`, checked on load), are decided with
``rule-engine`` one order at a time (:meth:`RuleSet.decide`) or compiled to NumPy for a batch
(:meth:`RuleSet.decide_frame`, identical decisions). The scores (:class:`OrderScorer`) are LightGBM
models on a time split, isotonic-calibrated, with TreeSHAP reasons. See docs/orders.md.
"""

from shopops.orders._checkout import CheckoutContext
from shopops.orders._features import CATEGORICAL, NUMERIC, OrdersError, order_features
from shopops.orders._models import (
    DEFAULT_HOLD_RISK,
    LATE_FLAG_SHARE,
    OPEN_FEATURES,
    OrderScorer,
    checkpoint_features,
)
from shopops.orders._rules import (
    ACTIONS,
    DECIDING_ACTIONS,
    FIELDS,
    FLAG_ACTIONS,
    Rule,
    RuleError,
    RuleSet,
    default_rules_path,
    load_rules,
)
from shopops.orders._staffing import (
    Shift,
    StaffingConfig,
    StaffingPlan,
    erlang_c_agents,
    plot_staffing,
    staffing_plan,
)
from shopops.orders._store import DecisionConflictError, DecisionStore, UnknownOrderError
from shopops.orders._triage import (
    BAD_SHARE_BOUND,
    RuleReplay,
    TrainResult,
    TriageResult,
    choose_hold_risk,
    decide_one,
    load_scorer,
    replay_rules,
    score_and_decide,
    train_scores,
    triage,
)

__all__ = [
    "ACTIONS",
    "BAD_SHARE_BOUND",
    "CATEGORICAL",
    "DECIDING_ACTIONS",
    "DEFAULT_HOLD_RISK",
    "FIELDS",
    "FLAG_ACTIONS",
    "LATE_FLAG_SHARE",
    "NUMERIC",
    "OPEN_FEATURES",
    "CheckoutContext",
    "DecisionConflictError",
    "DecisionStore",
    "OrderScorer",
    "OrdersError",
    "Rule",
    "RuleError",
    "RuleReplay",
    "RuleSet",
    "Shift",
    "StaffingConfig",
    "StaffingPlan",
    "TrainResult",
    "TriageResult",
    "UnknownOrderError",
    "checkpoint_features",
    "choose_hold_risk",
    "decide_one",
    "default_rules_path",
    "erlang_c_agents",
    "load_rules",
    "load_scorer",
    "order_features",
    "plot_staffing",
    "replay_rules",
    "score_and_decide",
    "staffing_plan",
    "train_scores",
    "triage",
]
