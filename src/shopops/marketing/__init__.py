"""Marketing: click and conversion prediction, uplift targeting, budget allocation and Thompson sampling."""

from shopops.marketing._allocate import Allocation, LinearBudgetConstraint, allocate_budget, expected_outcome
from shopops.marketing._bandit import ThompsonAllocator, run_thompson
from shopops.marketing._budget import read_budget_rules, recommend_budget
from shopops.marketing._ctr import CTR_MODELS, CtrModel, click_funnel, evaluate_ctr
from shopops.marketing._decisions import list_decisions, save_budget, save_targeting, targeting_list
from shopops.marketing._errors import MarketingDataError
from shopops.marketing._hillstrom import HILLSTROM_ARMS, HILLSTROM_FEATURES, load_hillstrom
from shopops.marketing._response import ChannelCurve, adstock, fit_response_curves, hill
from shopops.marketing._results import BanditResult, BudgetResult, CtrResult, UpliftResult
from shopops.marketing._shop import (
    CONTACT_FEATURES,
    channel_history,
    contacts,
    creative_bandit,
    shop_budget,
    shop_ctr,
    shop_uplift,
)
from shopops.marketing._targeting import profit_by_share, target_uplift
from shopops.marketing._uplift import UPLIFT_METHODS, Experiment, UpliftModel, prepare_experiment, uplift_scores

__all__ = [
    "CONTACT_FEATURES",
    "CTR_MODELS",
    "HILLSTROM_ARMS",
    "HILLSTROM_FEATURES",
    "UPLIFT_METHODS",
    "Allocation",
    "BanditResult",
    "BudgetResult",
    "ChannelCurve",
    "CtrModel",
    "CtrResult",
    "Experiment",
    "LinearBudgetConstraint",
    "MarketingDataError",
    "ThompsonAllocator",
    "UpliftModel",
    "UpliftResult",
    "adstock",
    "allocate_budget",
    "channel_history",
    "click_funnel",
    "contacts",
    "creative_bandit",
    "evaluate_ctr",
    "expected_outcome",
    "fit_response_curves",
    "hill",
    "list_decisions",
    "load_hillstrom",
    "prepare_experiment",
    "profit_by_share",
    "read_budget_rules",
    "recommend_budget",
    "run_thompson",
    "save_budget",
    "save_targeting",
    "shop_budget",
    "shop_ctr",
    "shop_uplift",
    "target_uplift",
    "targeting_list",
    "uplift_scores",
]
