"""Inventory and purchasing: lead-time demand, stock policies, purchase plans and policy replays.

The planner reads a shop's daily demand and inventory parameters from the warehouse, draws joint
samples of the demand over each product's lead time plus review period, and sets order-up-to levels
that reach a fill rate with the least stock; :func:`simulate_policy` replays history day by day to
compare that policy with the best-tuned static min/max rule of ERPs.
"""

from shopops.inventory._classes import abc_classes, weekly_cv, xyz_classes
from shopops.inventory._compare import (
    DEFAULT_MAX_RATIOS,
    DEFAULT_MIN_DAYS,
    DEFAULT_TARGETS,
    PolicyComparison,
    compare_policies,
    frontier,
    simulate_policy,
    stock_at,
)
from shopops.inventory._demand import (
    DEMAND_MODELS,
    BootstrapDemand,
    DemandSampler,
    ForecastDemand,
    LeadTimeDemand,
    PathDemand,
    cap_outliers,
    draw_lead_times,
)
from shopops.inventory._history import DemandMatrix, daily_demand
from shopops.inventory._params import InventoryDefaults, load_params, prepare_params
from shopops.inventory._planner import POLICIES, ReplenishmentPlan, plan_replenishment, replenish
from shopops.inventory._policy import (
    classic_levels,
    eoq,
    expected_fill,
    expected_shortage,
    newsvendor_quantity,
    order_up_to_for_fill,
    pooled_levels,
    round_order,
)
from shopops.inventory._replay import FillRatePolicy, MinMaxPolicy, ReplayResult, replay_policy

__all__ = [
    "DEFAULT_MAX_RATIOS",
    "DEFAULT_MIN_DAYS",
    "DEFAULT_TARGETS",
    "DEMAND_MODELS",
    "POLICIES",
    "BootstrapDemand",
    "DemandMatrix",
    "DemandSampler",
    "FillRatePolicy",
    "ForecastDemand",
    "InventoryDefaults",
    "LeadTimeDemand",
    "MinMaxPolicy",
    "PathDemand",
    "PolicyComparison",
    "ReplayResult",
    "ReplenishmentPlan",
    "abc_classes",
    "cap_outliers",
    "classic_levels",
    "compare_policies",
    "daily_demand",
    "draw_lead_times",
    "eoq",
    "expected_fill",
    "expected_shortage",
    "frontier",
    "load_params",
    "newsvendor_quantity",
    "order_up_to_for_fill",
    "plan_replenishment",
    "pooled_levels",
    "prepare_params",
    "replay_policy",
    "replenish",
    "round_order",
    "simulate_policy",
    "stock_at",
    "weekly_cv",
    "xyz_classes",
]
