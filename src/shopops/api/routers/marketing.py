"""Marketing: budgets from response curves, uplift targeting lists, click models and creative bandits."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from shopops.api._auth import require
from shopops.api._common import CtxDep, csv_response, kept, live, records, store_token
from shopops.api._keys import Principal
from shopops.marketing import BudgetResult, LinearBudgetConstraint, UpliftResult

__all__ = ["router"]

router = APIRouter(tags=["marketing"], dependencies=[Depends(require("marketing:read"))])

Objective = Literal["conversions", "profit"]
Outcome = Literal["visited", "converted", "revenue"]
Method = Literal["interaction", "two_model", "class_transformation"]


class ConstraintIn(BaseModel):
    """``sum(coefficients[channel] * spend[channel]) op value`` over the horizon."""

    coefficients: dict[str, float]
    op: Literal["<=", ">=", "=="]
    value: float
    name: str = ""


class BudgetRequest(BaseModel):
    """A budget to allocate and the rules it must follow."""

    total: float = Field(gt=0)
    days: int = Field(30, ge=1, le=366)
    objective: Objective = "conversions"
    bounds: dict[str, tuple[float | None, float | None]] = Field(default_factory=dict)
    fixed: dict[str, float] = Field(default_factory=dict)
    constraints: list[ConstraintIn] = Field(default_factory=list)
    save: bool = False


def _budget_json(result: BudgetResult) -> dict[str, Any]:
    return {"model": result.model, "params": result.describe()["params"], "metrics": result.describe()["metrics"],
            "warnings": result.warnings, "explain": result.explain(), "allocation": records(result.allocation),
            "curves": records(result.curves)}


def _uplift_json(result: UpliftResult, limit: int) -> dict[str, Any]:
    return {"model": result.model, "params": result.describe()["params"], "metrics": result.describe()["metrics"],
            "explain": result.explain(), "comparison": records(result.comparison), "qini": records(result.qini),
            "uplift_curve": records(result.uplift_curve), "profit": records(result.profit),
            "targets_total": len(result.targets), "targets": records(result.targets.head(limit))}


@router.get("/marketing/budget", response_model=dict[str, Any], summary="Recommended budget allocation")
async def budget(ctx: CtxDep, total: Annotated[float | None, Query(gt=0)] = None,
                 days: Annotated[int, Query(ge=1, le=366)] = 30,
                 objective: Objective = "conversions") -> Any:
    """Each channel's fitted curve and the allocation of ``total`` (default: today's spend) over ``days``."""
    return await kept(ctx, ("marketing/budget", total, days, objective),
                      lambda: _budget_json(ctx.shop.marketing_budget(total, days=days, objective=objective)))


@router.post("/marketing/budget", summary="Allocate a budget under constraints")
def budget_with_rules(ctx: CtxDep, body: BudgetRequest,
                      who: Annotated[Principal, Depends(require("marketing:write"))]) -> dict[str, Any]:
    """The allocation under per-channel bounds, fixed channels and linear constraints; ``save`` stores it."""
    constraints = [LinearBudgetConstraint(c.coefficients, c.op, c.value, c.name) for c in body.constraints]
    result = ctx.shop.marketing_budget(body.total, days=body.days, bounds=body.bounds or None,
                                       fixed=body.fixed or None, constraints=constraints, objective=body.objective,
                                       save=body.save, created_by=f"api:{who.name}")
    return _budget_json(result)


@router.get("/marketing/uplift", summary="Uplift targeting list")
async def uplift(ctx: CtxDep, campaign_id: Annotated[str | None, Query(max_length=200)] = None,
                 outcome: Outcome = "visited", treatment: Annotated[str | None, Query(max_length=200)] = None,
                 method: Method = "interaction", cost: Annotated[float, Query(ge=0)] = 0.0,
                 value: Annotated[float, Query(ge=0)] = 1.0, top: Annotated[float | None, Query(gt=0, le=1)] = None,
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 100, fmt: Literal["json", "csv"] = "json") -> Any:
    """Customers to contact by estimated uplift, the models' holdout scores, Qini curve and profit by share."""
    def result() -> UpliftResult:
        return ctx.shop.marketing_uplift(campaign_id=campaign_id, outcome=outcome, treatment=treatment,
                                         method=method, cost_per_contact=cost, value_per_response=value,
                                         top_share=top)

    if fmt == "csv":
        return csv_response((await run_in_threadpool(result)).targets, "targeting")
    return await kept(ctx, ("marketing/uplift", campaign_id, outcome, treatment, method, cost, value, top, limit),
                      lambda: _uplift_json(result(), limit))


@router.post("/marketing/uplift/save", summary="Store a targeting list as a decision")
def save_uplift(ctx: CtxDep, who: Annotated[Principal, Depends(require("marketing:write"))],
                campaign_id: Annotated[str | None, Query(max_length=200)] = None, outcome: Outcome = "visited",
                treatment: Annotated[str | None, Query(max_length=200)] = None, method: Method = "interaction",
                cost: Annotated[float, Query(ge=0)] = 0.0, value: Annotated[float, Query(ge=0)] = 1.0,
                top: Annotated[float | None, Query(gt=0, le=1)] = None) -> dict[str, Any]:
    """Compute the targeting list and store it in the operational store; answers its decision id."""
    result = ctx.shop.marketing_uplift(campaign_id=campaign_id, outcome=outcome, treatment=treatment, method=method,
                                       cost_per_contact=cost, value_per_response=value, top_share=top, save=True,
                                       created_by=f"api:{who.name}")
    return {"decision_id": result.params["decision_id"], "customers": len(result.targets)}


@router.get("/marketing/ctr", response_model=dict[str, Any], summary="Click models on the impression log")
async def ctr(ctx: CtxDep, target: Literal["clicked", "converted"] = "clicked") -> Any:
    """Holdout AUC, log loss and calibration of the click models against the base rate, and bidding guidance."""
    def compute() -> dict[str, Any]:
        result = ctx.shop.marketing_ctr(target)
        return {"model": result.model, "metrics": result.describe()["metrics"], "explain": result.explain(),
                "comparison": records(result.comparison), "calibration": records(result.calibration),
                "bidding": records(result.bidding)}

    return await kept(ctx, ("marketing/ctr", target), compute)


@router.get("/marketing/bandit", response_model=dict[str, Any], summary="Thompson sampling over creatives")
async def bandit(ctx: CtxDep, campaign_id: Annotated[str | None, Query(max_length=200)] = None,
                 arm: Literal["creative_id", "campaign_id"] = "creative_id") -> Any:
    """Tomorrow's share per creative (or campaign) and the arms stopped, from the impression log so far."""
    def compute() -> dict[str, Any]:
        result = ctx.shop.marketing_bandit(campaign_id=campaign_id, arm=arm)
        return {"model": result.model, "metrics": result.metrics, "arms": records(result.arms)}

    return await kept(ctx, ("marketing/bandit", campaign_id, arm), compute)


@router.get("/marketing/decisions", response_model=list[dict[str, Any]], summary="Stored targeting lists and budgets")
async def decisions(ctx: CtxDep, kind: Literal["targeting", "budget"] | None = None) -> Any:
    """Stored marketing decisions, newest first (kept until the next write to the operational store)."""
    return await live(ctx, ("marketing/decisions", kind), store_token(ctx),
                      lambda: records(ctx.shop.marketing_decisions(kind)))
