"""Stock alerts of a purchase plan: what a buyer must look at, ranked by the money at stake.

Each alert carries its numbers in ``facts`` (JSON), so that a surface can write the text in the reader's
language; ``message`` is the English text. Low-severity alerts are many and individually cheap: they are
grouped per kind by :func:`group_alerts` for a buyer's first reading.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from shopops.inventory._demand import DemandSampler, LeadTimeDemand, cap_outliers
from shopops.inventory._history import DemandMatrix
from shopops.inventory._params import InventoryDefaults

__all__ = ["ALERT_COLUMNS", "SEVERITIES", "days_since_last_sale", "group_alerts", "one_off_alerts", "plan_alerts",
           "rank_alerts"]

ALERT_COLUMNS = ["product_id", "alert", "severity", "value", "products", "message", "facts"]
#: Severities, most severe first.
SEVERITIES = ("high", "medium", "low")


def _row(pid: object, kind: str, severity: str, value: float, message: str, **facts: Any) -> dict[str, object]:
    return {"product_id": pid, "alert": kind, "severity": severity, "value": float(value), "products": 1,
            "message": message, "facts": json.dumps(facts, default=str)}


def days_since_last_sale(units: np.ndarray) -> np.ndarray:
    """Days from each row's last day with demand to the last column (0 = sold on the last day; -1 = never)."""
    sold = units > 0
    since = sold[:, ::-1].argmax(axis=1)
    return np.where(sold.any(axis=1), since, -1)


def rank_alerts(alerts: pd.DataFrame) -> pd.DataFrame:
    """Alerts by money at stake (largest first), then severity, kind and product, for a stable order."""
    sev = alerts["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    order = alerts.assign(_sev=sev, _pid=alerts["product_id"].astype(str)).sort_values(
        ["value", "_sev", "alert", "_pid"], ascending=[False, True, True, True], kind="stable")
    return order.drop(columns=["_sev", "_pid"]).reset_index(drop=True)


def plan_alerts(params: pd.DataFrame, lines: pd.DataFrame, ltd: LeadTimeDemand, demand: DemandMatrix,
                defaults: InventoryDefaults) -> pd.DataFrame:
    """The alerts of a plan's products, one row per product and kind, ranked (see :func:`rank_alerts`)."""
    rows: list[dict[str, object]] = []
    daily = ltd.daily_mean
    available = (params["on_hand"] + params["on_order"]).to_numpy(float)
    cost = params["unit_cost"].to_numpy(float)
    lead = params["lead_time_days"].to_numpy(float)
    runs_out = (np.median(ltd.lead, axis=1) > available) & (daily > 0)
    last_sale = days_since_last_sale(demand.units)
    on_hand = params["on_hand"].to_numpy(float)
    order_value = lines["order_value"].to_numpy(float)
    excess = available - lines["order_up_to"].to_numpy(float) - defaults.overstock_days * daily
    for i, pid in enumerate(params["product_id"]):
        if runs_out[i]:
            days_left = available[i] / daily[i]
            rows.append(_row(pid, "stockout_before_arrival", "high", daily[i] * cost[i] * max(lead[i] - days_left, 0),
                             f"stock lasts ~{days_left:.0f} days at {daily[i]:.1f}/day; an order placed today "
                             f"arrives in ~{lead[i]:.0f} days",
                             days_left=round(days_left), daily=round(float(daily[i]), 1), lead=round(lead[i])))
        never = last_sale[i] < 0
        if on_hand[i] > 0 and (never or last_sale[i] >= defaults.dead_stock_days):
            rows.append(_row(pid, "dead_stock", "medium", on_hand[i] * cost[i],
                             f"{on_hand[i]:,.0f} units on hand and no sale for "
                             f"{'ever' if never else f'{last_sale[i]} days'}",
                             on_hand=round(on_hand[i]), days=None if never else int(last_sale[i])))
        elif excess[i] > 0 and params["on_hand_known"].iat[i]:
            rows.append(_row(pid, "overstock", "medium", excess[i] * cost[i],
                             f"{excess[i]:,.0f} units above the order-up-to level plus "
                             f"{defaults.overstock_days} days of demand",
                             excess=round(excess[i]), overstock_days=defaults.overstock_days))
        cv = params["weekly_cv"].iat[i]
        if daily[i] > 0 and cv > defaults.erratic_cv:
            # What is at stake is the order the unreliable forecast asks for today.
            rows.append(_row(pid, "forecast_unreliable", "low", order_value[i],
                             f"weekly demand too erratic to plan well (CV {cv:.1f}); review by hand or buy to order",
                             cv=round(float(cv), 1)))
        if params["moq_over_year"].iat[i]:
            moq = params["moq"].iat[i]
            rows.append(_row(pid, "moq_over_year", "medium", moq * cost[i],
                             f"MOQ {moq:,.0f} exceeds a year of demand; negotiate or change supplier",
                             moq=round(float(moq))))
        for issue in params["issues"].iat[i]:
            if not issue.startswith("MOQ"):
                rows.append(_row(pid, "data", "low", 0.0, issue, text=issue))
    return rank_alerts(pd.DataFrame(rows, columns=ALERT_COLUMNS))


def one_off_alerts(demand: DemandMatrix, sampler: DemandSampler) -> pd.DataFrame:
    """Alerts for the one-off days of the sampled window that the planner cut (not planned for)."""
    factor = float(sampler.outlier_factor or 0.0)
    capped, cut = cap_outliers(demand.units, factor)
    first = max(demand.days - sampler.window_days, 0)
    rows, cols = np.nonzero(cut[:, first:])
    dates = demand.dates()
    out = []
    for r, c in zip(rows, cols, strict=True):
        units, day, planned = demand.units[r, first + c], dates[first + c], capped[r, first + c]
        out.append(_row(demand.product_ids[r], "one_off_demand", "low", 0.0,
                        f"{units:,.0f} units on {day:%Y-%m-%d}, over {factor:g}× the usual large day: planned as "
                        f"{planned:,.0f}; buy to order if it recurs",
                        units=round(float(units)), day=f"{day:%Y-%m-%d}", factor=factor, planned=round(float(planned))))
    return pd.DataFrame(out, columns=ALERT_COLUMNS)


def group_alerts(alerts: pd.DataFrame, *, examples: int = 5) -> pd.DataFrame:
    """High and medium alerts one per row, each low-severity kind as one row; ranked by money at stake.

    A group row has no ``product_id``; ``products`` counts its products, ``value`` sums theirs, and the
    message names the ``examples`` with most at stake.
    """
    low = alerts["severity"] == "low"
    groups = []
    for kind, part in rank_alerts(alerts[low]).groupby("alert", sort=True):
        ids = part["product_id"].astype(str).drop_duplicates().tolist()
        shown = ", ".join(ids[:examples]) + (", …" if len(ids) > examples else "")
        first = str(part["message"].iloc[0])
        groups.append({"product_id": None, "alert": kind, "severity": "low", "value": float(part["value"].sum()),
                       "products": len(ids),
                       "message": f"{len(ids):,} products ({shown}); e.g. {ids[0]}: {first}",
                       "facts": json.dumps({"products": len(ids), "examples": ids[:examples], "first": ids[0],
                                            "first_facts": json.loads(str(part["facts"].iloc[0]))})})
    grouped = pd.DataFrame(groups, columns=ALERT_COLUMNS)
    kept = alerts[~low]
    if not len(grouped):
        return rank_alerts(kept)
    return rank_alerts(pd.concat([kept, grouped], ignore_index=True) if len(kept) else grouped)
