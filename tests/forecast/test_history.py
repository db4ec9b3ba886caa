"""Demand history: the warehouse's definition, zero-filling, and checks of user-given histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopops.forecast import ForecastError, demand_history
from shopops.forecast._history import to_panel
from tests.forecast.conftest import toy_history


def test_demand_is_units_on_sale_lines_of_real_products(retail_shop) -> None:
    shop, _ = retail_shop
    df = demand_history(shop, until="2011-03-31")
    # Product 23166 had an order of 74,215 units (and its cancellation) on 2011-01-18: sales count, the
    # cancellation line does not.
    day = df[(df["unique_id"] == "23166") & (df["ds"] == "2011-01-18")]["y"]
    assert day.tolist() == [74215.0]
    expected = shop.sql("SELECT sum(quantity) AS q FROM fact_order_line WHERE line_type = 'sale' AND is_product "
                        "AND order_date <= DATE '2011-03-31'")["q"].iloc[0]
    assert df["y"].sum() == pytest.approx(expected)
    assert df["ds"].max() == pd.Timestamp("2011-03-31")
    assert not df.duplicated(["unique_id", "ds"]).any()
    # Zero-filled from the first sale to the end of history: each series is a full run of days.
    spans = df.groupby("unique_id")["ds"].agg(["min", "max", "count"])
    assert ((spans["max"] - spans["min"]).dt.days + 1 == spans["count"]).all()
    assert (spans["max"] == pd.Timestamp("2011-03-31")).all()


def test_weekly_and_total_levels(retail_shop) -> None:
    shop, _ = retail_shop
    daily = demand_history(shop, level="total", until="2011-06-30")
    weekly = demand_history(shop, level="total", freq="W", until="2011-06-30")
    assert set(daily["unique_id"]) == set(weekly["unique_id"]) == {"total"}
    assert (weekly["ds"].dt.dayofweek == 0).all()
    # 2011-06-30 is a Thursday: that week is unfinished and left out.
    assert weekly["ds"].max() == pd.Timestamp("2011-06-20")
    assert weekly["y"].sum() == pytest.approx(daily[daily["ds"] <= "2011-06-26"]["y"].sum())
    # Online Retail starts on Wednesday 2010-12-01: up to the Saturday after, no week is complete.
    with pytest.raises(ForecastError, match="no complete week of sales"):
        demand_history(shop, freq="W", until="2010-12-04")


def test_unknown_level_freq_and_bad_until_are_clear_errors(sim_shop) -> None:
    with pytest.raises(ForecastError, match="level must be one of product, category, total"):
        demand_history(sim_shop, level="brand")
    with pytest.raises(ForecastError, match="freq must be D"):
        demand_history(sim_shop, freq="M")
    with pytest.raises(ForecastError, match="not a date"):
        demand_history(sim_shop, until="yesterday")
    with pytest.raises(ForecastError, match="no product sales"):
        demand_history(sim_shop, until="1990-01-01")


def test_gaps_are_zero_demand_and_duplicates_are_errors() -> None:
    df = toy_history({"a": [1, 2, 3, 4]}).drop(index=[1, 2])
    panel = to_panel(df)
    assert panel.values.tolist() == [[1.0, 0.0, 0.0, 4.0]]
    dup = pd.concat([df, df.iloc[[0]]])
    with pytest.raises(ForecastError, match=r"duplicate dates.*'a' on 2024-01-01"):
        to_panel(dup)
    with pytest.raises(ForecastError, match="finite number >= 0"):
        to_panel(df.assign(y=[1.0, -2.0]))
    with pytest.raises(ForecastError, match="missing y"):
        to_panel(df.drop(columns="y"))


def test_series_start_at_their_first_observation() -> None:
    df = pd.concat([toy_history({"old": [1] * 10}), toy_history({"new": [0, 5]}, start="2024-01-09")])
    panel = to_panel(df)
    assert panel.start.tolist() == [8, 0]  # ids sorted: new, old
    assert np.isnan(panel.values[0, :8]).all()
