"""Allocate a total budget across channels by their fitted response curves, under the usual constraints.

The optimiser maximises the expected conversions (or profit) over a horizon, subject to the
constraints budget optimisers (pymc-marketing, LightweightMMM) offer: per-channel minimum and
maximum, channels held fixed, an allocation that sums exactly to the total, and custom linear
constraints ``sum_c a_c x_c (<=|>=|==) b``. S-shaped curves have several local optima, so it starts
from a greedy marginal-return fill, the equal split and the current shares, and polishes each with SLSQP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import LinearConstraint, minimize
from threadpoolctl import threadpool_limits

from shopops.marketing._errors import MarketingDataError
from shopops.marketing._response import ChannelCurve

__all__ = ["Allocation", "LinearBudgetConstraint", "allocate_budget", "expected_outcome"]

_GREEDY_STEPS = 400


@dataclass(frozen=True)
class LinearBudgetConstraint:
    """``sum(coefficients[c] * spend[c]) <op> value`` over the horizon's spend, ``op`` one of ``<=, >=, ==``."""

    coefficients: Mapping[str, float]
    op: str
    value: float
    name: str = ""


@dataclass(frozen=True)
class Allocation:
    """Spend per channel over the horizon and what it is expected to bring."""

    spend: dict[str, float]
    conversions: float
    objective: float
    fixed: tuple[str, ...]


def expected_outcome(curves: Sequence[ChannelCurve], spend: np.ndarray, days: int, *,
                     objective: str = "conversions", margin: float = 1.0) -> tuple[float, float]:
    """Expected ``(conversions, objective value)`` over ``days`` of a steady allocation ``spend`` (totals)."""
    daily = np.asarray(spend, dtype=np.float64) / days
    conv = np.array([c.response(daily[k]) for k, c in enumerate(curves)], dtype=np.float64) * days
    if objective == "conversions":
        return float(conv.sum()), float(conv.sum())
    value = np.array([c.value_per_conversion for c in curves])
    return float(conv.sum()), float((conv * value * margin).sum() - np.sum(spend))


def _objective(curves: Sequence[ChannelCurve], days: int, objective: str, margin: float,
               scale: float) -> tuple[object, object]:
    beta = np.array([c.beta for c in curves])
    half = np.array([c.half for c in curves])
    shape = np.array([c.shape for c in curves])
    weight = np.ones(len(curves)) if objective == "conversions" else np.array(
        [c.value_per_conversion * margin for c in curves])
    cost = 0.0 if objective == "conversions" else 1.0

    def value(z: np.ndarray) -> float:
        x = np.clip(z * scale / days, 0.0, 1e6 * half)
        ratio = (x / half) ** shape
        return float(-(days * weight * beta * ratio / (1.0 + ratio)).sum() + cost * z.sum() * scale) / scale

    def grad(z: np.ndarray) -> np.ndarray:
        x = np.clip(z * scale / days, 1e-12, 1e6 * half)
        ratio = (x / half) ** shape
        d = weight * beta * shape * ratio / (x * (1.0 + ratio) ** 2)
        return np.asarray(-d + cost)

    return value, grad


def _greedy(curves: Sequence[ChannelCurve], lo: np.ndarray, hi: np.ndarray, total: float, days: int,
            weight: np.ndarray) -> np.ndarray:
    """Fill the budget step by step into the channel with the best return on the next step."""
    beta = np.array([c.beta for c in curves])
    half = np.array([c.half for c in curves])
    shape = np.array([c.shape for c in curves])

    def response(v: np.ndarray) -> np.ndarray:
        ratio = (np.clip(v / days, 0.0, 1e6 * half) / half) ** shape
        return np.asarray(beta * ratio / (1.0 + ratio))

    x = lo.copy()
    step = max((total - lo.sum()) / _GREEDY_STEPS, 1e-9)
    for _ in range(4 * _GREEDY_STEPS):
        if total - x.sum() <= 1e-9:
            break
        inc = np.minimum(step, np.minimum(hi - x, total - x.sum()))
        gain = (response(x + inc) - response(x)) * weight / np.maximum(inc, 1e-12)
        gain[inc <= 1e-12] = -np.inf
        k = int(np.argmax(gain))
        if not np.isfinite(gain[k]):
            break
        x[k] += inc[k]
    return x


def allocate_budget(curves: Mapping[str, ChannelCurve], total: float, *, days: int = 30,
                    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
                    fixed: Mapping[str, float] | None = None,
                    constraints: Sequence[LinearBudgetConstraint] = (),
                    objective: str = "conversions", margin: float = 1.0,
                    max_extrapolation: float | None = 2.0) -> Allocation:
    """The allocation of ``total`` over ``days`` that maximises the expected conversions or profit.

    Parameters
    ----------
    curves : mapping of channel to ChannelCurve
        Fitted curves; a channel whose curve is not identified is held at its current spend.
    total : float
        Budget to allocate over the horizon; the allocation sums to it exactly.
    days : int
        Horizon in days (spend is assumed steady over it).
    bounds : mapping of channel to (min, max)
        Spend over the horizon per channel; ``None`` for no bound on that side.
    fixed : mapping of channel to spend
        Channels held at this spend over the horizon.
    constraints : sequence of LinearBudgetConstraint
        Custom linear constraints on the spend over the horizon.
    objective : {"conversions", "profit"}
        ``profit`` = conversions x revenue per conversion x ``margin`` - spend.
    margin : float
        Share of revenue kept as margin (profit objective only).
    max_extrapolation : float or None
        A channel gets at most this many times the largest daily spend of its history (a curve says
        nothing about spend it never saw); ``None`` for no such cap. Explicit maximums override it.

    Raises
    ------
    MarketingDataError
        Bounds, fixed channels or constraints that cannot all hold with this total.
    """
    if objective not in ("conversions", "profit"):
        raise MarketingDataError(f"objective must be 'conversions' or 'profit', not {objective!r}")
    if not np.isfinite(total) or total <= 0:
        raise MarketingDataError(f"the total budget must be a positive number, not {total}")
    if days < 1:
        raise MarketingDataError(f"days must be at least 1, not {days}")
    names = list(curves)
    if not names:
        raise MarketingDataError("there are no channels to allocate a budget to")
    unknown = sorted((set(bounds or {}) | set(fixed or {})) - set(names))
    for c in constraints:
        unknown += sorted(set(c.coefficients) - set(names))
    if unknown:
        raise MarketingDataError(f"unknown channel(s) {sorted(set(unknown))} in the bounds or constraints; the "
                                 f"channels are {names}")
    held = {n: float(curves[n].current_daily_spend * days) for n in names if not curves[n].identified}
    held.update({n: float(v) for n, v in (fixed or {}).items()})
    lo = np.zeros(len(names))
    hi = np.full(len(names), np.inf)
    for k, n in enumerate(names):
        b_lo, b_hi = (bounds or {}).get(n, (None, None))
        if b_hi is None and max_extrapolation is not None and curves[n].max_daily_spend > 0:
            hi[k] = min(hi[k], max_extrapolation * curves[n].max_daily_spend * days)
        if b_lo is not None:
            lo[k] = float(b_lo)
        if b_hi is not None:
            hi[k] = float(b_hi)
        if n in held:
            lo[k] = hi[k] = held[n]
        if lo[k] < 0 or lo[k] > hi[k] + 1e-9:
            raise MarketingDataError(f"channel {n!r}: bounds min {lo[k]:,.2f} and max {hi[k]:,.2f} cannot hold "
                                     "(min must be >= 0 and <= max)")
    if lo.sum() > total + 1e-6:
        raise MarketingDataError(f"the minimums and fixed channels add up to {lo.sum():,.2f}, above the total "
                                 f"budget {total:,.2f}: lower a minimum or raise the total")
    hi = np.minimum(hi, total)
    if hi.sum() < total - 1e-6 and max_extrapolation is not None and not bounds:
        hi = np.maximum(hi, lo)  # the history cap alone cannot hold: spread the rest beyond it, evenly by room
        hi = np.where([n in held for n in names], hi, np.maximum(hi, lo + (total - lo.sum()) / len(names)))
    if hi.sum() < total - 1e-6:
        raise MarketingDataError(f"the maximums and fixed channels add up to {hi.sum():,.2f}, below the total "
                                 f"budget {total:,.2f}: raise a maximum or lower the total")
    scale = float(total)
    ordered = [curves[n] for n in names]
    value, grad = _objective(ordered, days, objective, margin, scale)
    rows: list[np.ndarray] = []
    lbs: list[float] = []
    ubs: list[float] = []
    for c in constraints:
        row = np.array([float(c.coefficients.get(n, 0.0)) for n in names])
        bound = float(c.value) / scale
        if c.op not in ("<=", ">=", "=="):
            raise MarketingDataError(f"constraint {c.name or c.coefficients}: op must be <=, >= or ==, not {c.op!r}")
        rows.append(row)
        lbs.append(-np.inf if c.op == "<=" else bound)
        ubs.append(np.inf if c.op == ">=" else bound)
    linear = [LinearConstraint(np.ones((1, len(names))), 1.0, 1.0)]  # sums exactly to the total
    if rows:
        linear.append(LinearConstraint(np.vstack(rows), np.array(lbs), np.array(ubs)))
    box = list(zip(lo / scale, hi / scale, strict=True))
    weight = np.ones(len(names)) if objective == "conversions" else np.array(
        [c.value_per_conversion * margin for c in ordered])
    starts = [_greedy(ordered, lo, hi, total, days, weight) / scale]
    current = np.array([c.current_daily_spend for c in ordered])
    for base in (np.ones(len(names)), current):
        if base.sum() > 0:
            starts.append(np.clip(base / base.sum(), lo / scale, hi / scale))
    best = None
    # SLSQP's small dense LAPACK calls only slow down when BLAS spreads them over threads.
    with threadpool_limits(limits=1):
        for z0 in starts:
            res = minimize(value, z0, jac=grad, bounds=box, constraints=linear, method="SLSQP",
                           options={"maxiter": 300, "ftol": 1e-10})
            feasible = _feasible(res.x, linear, lo / scale, hi / scale)
            if feasible and (best is None or res.fun < best.fun):
                best = res
    if best is None:
        raise MarketingDataError("the constraints cannot all hold with this total budget: check the custom "
                                 "linear constraints against the bounds and the fixed channels")
    z = np.clip(best.x, lo / scale, hi / scale)
    free = np.array([n not in held for n in names]) & (hi > lo)
    gap = 1.0 - z.sum()
    if free.any() and abs(gap) > 0:  # the solver's rounding: put the last cents where room is
        room = np.where(gap > 0, hi / scale - z, z - lo / scale) * free
        if room.sum() > 0:
            z = z + gap * room / room.sum()
    spend = z * scale
    conv, obj = expected_outcome(ordered, spend, days, objective=objective, margin=margin)
    return Allocation(spend=dict(zip(names, spend.tolist(), strict=True)), conversions=conv, objective=obj,
                      fixed=tuple(sorted(held)))


def _feasible(z: np.ndarray, linear: list[LinearConstraint], lo: np.ndarray, hi: np.ndarray,
              tol: float = 1e-6) -> bool:
    for c in linear:
        values = np.asarray(c.A) @ z
        if np.any(values < np.asarray(c.lb) - tol) or np.any(values > np.asarray(c.ub) + tol):
            return False
    return bool(np.all(z >= lo - tol) and np.all(z <= hi + tol))


def allocation_frame(curves: Mapping[str, ChannelCurve], allocation: Allocation, days: int, *,
                     draws: int = 200, seed: int = 0) -> pd.DataFrame:
    """One row per channel: current and recommended spend, expected conversions (90 % interval), marginal return."""
    rows = []
    for k, (name, curve) in enumerate(curves.items()):
        rec = allocation.spend[name]
        cur = curve.current_daily_spend * days
        samples = curve.draws(draws, seed + k)
        sim = np.array([float(np.asarray(ChannelCurve(name, True, beta=b, half=h, shape=s).response(rec / days)))
                        for b, h, s in samples]) * days
        rows.append({
            "channel": name, "current_spend": cur, "recommended_spend": rec, "change": rec - cur,
            "expected_conversions": float(curve.response(rec / days)) * days,
            "conversions_low": float(np.percentile(sim, 5)), "conversions_high": float(np.percentile(sim, 95)),
            "current_conversions": float(curve.response(cur / days)) * days,
            "marginal_conversions_per_1000": float(curve.marginal(max(rec, 1e-6) / days)) * 1000.0,
            "identified": curve.identified, "fixed": name in allocation.fixed,
            "why": (f"adstock decay {curve.decay:.2f}, half-saturation {curve.half:,.0f}/day, shape "
                    f"{curve.shape:.2f}, R² {curve.r2:.2f} on {curve.days} days" if curve.identified
                    else f"kept at its current budget: {curve.reason}"),
        })
    return pd.DataFrame(rows)
