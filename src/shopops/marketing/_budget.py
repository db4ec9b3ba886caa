"""Budget recommendations: fit the channel curves, allocate the total, and say why with intervals."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopops.marketing._allocate import LinearBudgetConstraint, allocate_budget, allocation_frame, expected_outcome
from shopops.marketing._errors import MarketingDataError
from shopops.marketing._response import ChannelCurve, fit_response_curves
from shopops.marketing._results import BudgetResult

__all__ = ["BudgetRules", "read_budget_rules", "recommend_budget"]

BudgetRules = dict[str, Any]


def read_budget_rules(path: Path | str) -> BudgetRules:
    """Read ``--bounds FILE``: JSON bounds, fixed channels and constraints, or a CSV of bounds.

    JSON: ``{"bounds": {ch: [min, max]}, "fixed": {ch: spend}, "constraints": [{coefficients, op, value}]}``;
    CSV: ``channel,min,max[,fixed]`` (empty cells: no bound).
    """
    path = Path(path)
    if not path.exists():
        raise MarketingDataError(f"{path}: no such bounds file")
    if path.suffix.lower() == ".csv":
        table = pd.read_csv(path)
        if "channel" not in table.columns:
            raise MarketingDataError(f"{path}: a bounds CSV needs a 'channel' column (and min, max, fixed)")
        rules: BudgetRules = {"bounds": {}, "fixed": {}, "constraints": []}
        for row in table.to_dict("records"):
            lo, hi = row.get("min"), row.get("max")
            rules["bounds"][str(row["channel"])] = (None if pd.isna(lo) else float(lo),
                                                    None if pd.isna(hi) else float(hi))
            if "fixed" in row and not pd.isna(row["fixed"]):
                rules["fixed"][str(row["channel"])] = float(row["fixed"])
        return rules
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise MarketingDataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(raw, dict) or set(raw) - {"bounds", "fixed", "constraints"}:
        raise MarketingDataError(f"{path}: expected an object with the keys bounds, fixed, constraints")
    try:
        bounds = {str(k): (None if v[0] is None else float(v[0]), None if v[1] is None else float(v[1]))
                  for k, v in raw.get("bounds", {}).items()}
        fixed = {str(k): float(v) for k, v in raw.get("fixed", {}).items()}
        constraints = [LinearBudgetConstraint({str(k): float(v) for k, v in c["coefficients"].items()}, str(c["op"]),
                                              float(c["value"]), str(c.get("name", "")))
                       for c in raw.get("constraints", [])]
    except (TypeError, KeyError, IndexError, ValueError) as exc:
        raise MarketingDataError(f"{path}: bad bounds file ({exc}); bounds are [min, max] per channel, fixed a "
                                 "number per channel, constraints {coefficients: {channel: a}, op, value}") from None
    return {"bounds": bounds, "fixed": fixed, "constraints": constraints}


def _curve_grid(curves: Mapping[str, ChannelCurve], draws: int, seed: int) -> pd.DataFrame:
    frames = []
    for k, (name, curve) in enumerate(curves.items()):
        top = max(curve.max_daily_spend, curve.current_daily_spend, 1.0) * 2.0
        grid = np.linspace(0.0, top, 41)
        samples = curve.draws(draws, seed + k)
        sim = np.array([ChannelCurve(name, True, beta=b, half=h, shape=s).response(grid) for b, h, s in samples])
        frames.append(pd.DataFrame({"channel": name, "daily_spend": grid, "conversions": curve.response(grid),
                                    "low": np.percentile(sim, 5, axis=0), "high": np.percentile(sim, 95, axis=0),
                                    "identified": curve.identified}))
    return pd.concat(frames, ignore_index=True)


def recommend_budget(daily: pd.DataFrame, total: float | None, *, days: int = 30,
                     bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
                     fixed: Mapping[str, float] | None = None, constraints: Sequence[LinearBudgetConstraint] = (),
                     objective: str = "conversions", margin: float = 1.0, draws: int = 200,
                     seed: int = 0) -> BudgetResult:
    """Fit every channel's response curve and allocate ``total`` over the next ``days``.

    Parameters
    ----------
    daily : DataFrame
        ``date, channel, spend, conversions[, revenue]`` (campaign rows are summed per channel).
    total : float or None
        Budget over the horizon (None: what the channels spend now over that many days).
    days : int
        Horizon of the budget in days.
    bounds, fixed, constraints
        See :func:`allocate_budget`.
    objective : {"conversions", "profit"}
        What to maximise.
    margin : float
        Share of revenue kept (profit objective).
    draws : int
        Parameter draws for the intervals.
    seed : int
        Seed of the draws.

    Returns
    -------
    BudgetResult
    """
    curves = fit_response_curves(daily)
    if total is None:
        total = float(sum(c.current_daily_spend for c in curves.values()) * days)
    allocation = allocate_budget(curves, total, days=days, bounds=bounds, fixed=fixed, constraints=constraints,
                                 objective=objective, margin=margin)
    table = allocation_frame(curves, allocation, days, draws=draws, seed=seed)
    names = list(curves)
    ordered = [curves[n] for n in names]
    spend = np.array([allocation.spend[n] for n in names])
    current = np.array([c.current_daily_spend * days for c in ordered])
    scaled_current = current * total / current.sum() if current.sum() > 0 else np.full(len(names), total / len(names))
    samples = np.stack([c.draws(draws, seed + 1000 + k) for k, c in enumerate(ordered)], axis=1)  # (draws, ch, 3)
    outcomes = []
    for d in range(draws):
        drawn = [ChannelCurve(n, True, beta=b, half=h, shape=s) for n, (b, h, s) in zip(names, samples[d], strict=True)]
        outcomes.append(expected_outcome(drawn, spend, days)[0])
    warnings = [f"{c.channel}: {c.reason}; kept at its current budget" for c in ordered if not c.identified]
    metrics = {"expected_conversions": allocation.conversions,
               "conversions_low": float(np.percentile(outcomes, 5)),
               "conversions_high": float(np.percentile(outcomes, 95)),
               "current_conversions": expected_outcome(ordered, scaled_current, days)[0],
               "equal_split_conversions": expected_outcome(ordered, np.full(len(names), total / len(names)), days)[0],
               "objective_value": allocation.objective,
               "mean_r2": float(np.nanmean([c.r2 for c in ordered if c.identified] or [np.nan])),
               "channels": len(names), "unidentified_channels": len(warnings)}
    return BudgetResult(model="adstock + Hill response curve per channel (least squares, Laplace intervals), "
                              "SLSQP allocation",
                        params={"total": float(total), "days": days, "objective": objective, "margin": margin,
                                "bounds": dict(bounds or {}), "fixed": dict(fixed or {}),
                                "constraints": [c.__dict__ for c in constraints], "seed": seed},
                        metrics=metrics, allocation=table, curves=_curve_grid(curves, min(draws, 100), seed),
                        warnings=warnings)
