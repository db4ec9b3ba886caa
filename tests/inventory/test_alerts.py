"""Stock alerts: dead stock is judged by the last sale (not the largest), alerts ranked and grouped."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from shopops import Shop
from shopops.inventory import DemandMatrix, InventoryDefaults, LeadTimeDemand
from shopops.inventory._alerts import days_since_last_sale, group_alerts, plan_alerts

DAYS = 400


def _case() -> pd.DataFrame:
    """Four products with stock: a big seller that sold yesterday, one that sold a year ago, one never, one today."""
    units = np.zeros((4, DAYS))
    units[0, 10] = 500.0            # its largest day was long ago ...
    units[0, :DAYS - 1:3] += 2.0    # ... but it sells every third day up to yesterday
    units[0, DAYS - 1] = 0.0
    units[1, DAYS - 366] = 3.0      # last sale a year ago
    units[3, DAYS - 1] = 1.0        # sold on the last day
    demand = DemandMatrix(np.array(["busy", "year_ago", "never", "today"]), date(2024, 1, 1), units,
                          units.sum(axis=1))
    n = len(units)
    daily = units[:, -90:].mean(axis=1)
    ltd = LeadTimeDemand(np.zeros((n, 10)), np.zeros((n, 10)), daily)
    params = pd.DataFrame({"product_id": demand.product_ids, "on_hand": [71.0, 20.0, 5.0, 3.0],
                           "on_order": 0.0, "unit_cost": [2.0, 1.0, 4.0, 1.0], "lead_time_days": 7.0,
                           "on_hand_known": True, "weekly_cv": 0.5, "moq_over_year": False, "moq": 1.0,
                           "issues": [[] for _ in range(n)]})
    lines = pd.DataFrame({"order_value": 0.0, "order_up_to": [1e6] * n})
    return plan_alerts(params, lines, ltd, demand, InventoryDefaults())


def test_days_since_last_sale() -> None:
    units = np.array([[5.0, 0, 1, 0], [0, 0, 0, 0], [9.0, 0, 0, 0], [0, 0, 0, 2.0]])
    assert days_since_last_sale(units).tolist() == [1, -1, 3, 0]


def test_dead_stock_is_about_the_last_sale() -> None:
    dead = _case().query("alert == 'dead_stock'").set_index("product_id")
    assert "busy" not in dead.index and "today" not in dead.index
    assert set(dead.index) == {"year_ago", "never"}
    assert json.loads(dead.loc["year_ago", "facts"])["days"] == 365
    assert "no sale for 365 days" in dead.loc["year_ago", "message"]
    assert "no sale for ever" in dead.loc["never", "message"]
    # ranked by money at stake: 5 units at 4.00 before 20 units at 1.00
    assert dead.index.tolist() == ["never", "year_ago"]


def test_group_alerts_keeps_the_severe_and_groups_the_low() -> None:
    alerts = pd.DataFrame({
        "product_id": ["a", "b", "c", "d"], "alert": ["dead_stock", "forecast_unreliable", "forecast_unreliable",
                                                      "data"],
        "severity": ["medium", "low", "low", "low"], "value": [10.0, 5.0, 50.0, 0.0], "products": 1,
        "message": ["m", "erratic b", "erratic c", "no cost"], "facts": ["{}", "{}", "{}", "{}"]})
    grouped = group_alerts(alerts)
    assert grouped["alert"].tolist() == ["forecast_unreliable", "dead_stock", "data"]
    erratic = grouped.iloc[0]
    assert erratic["products"] == 2 and erratic["value"] == pytest.approx(55.0) and erratic["product_id"] is None
    assert erratic["message"].startswith("2 products (c, b)")


def test_simulated_shop_dead_stock_alerts_sold_nothing_recently(sim_shop: Shop) -> None:
    plan = sim_shop.replenish()
    dead = plan.alerts[plan.alerts["alert"] == "dead_stock"]
    last = sim_shop.sql("SELECT product_id, max(order_date) AS last FROM fact_order_line "
                        "WHERE quantity > 0 GROUP BY 1")
    end = pd.Timestamp(plan.params["as_of"])
    recent = set(last.loc[pd.to_datetime(last["last"]) > end - pd.Timedelta(days=InventoryDefaults().dead_stock_days),
                          "product_id"])
    assert not set(dead["product_id"]) & recent
    assert plan.alerts["value"].is_monotonic_decreasing
    assert len(plan.alert_groups()) <= len(plan.alerts)
    assert (plan.alert_groups()["severity"] == "low").sum() <= plan.alerts["alert"].nunique()
