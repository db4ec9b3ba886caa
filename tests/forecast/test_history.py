"""Demand history: the warehouse's definition, zero-filling, and checks of user-given histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopops.forecast import ForecastError, demand_history
from shopops.forecast._history import to_panel
from tests.forecast.conftest import toy_history


def test_demand_is_sales_net_of_same_day_cancellations(retail_shop) -> None:
    shop, _ = retail_shop
    df = demand_history(shop, until="2011-03-31")
    # Product 23166's only line before May: 74,215 units ordered and cancelled on 2011-01-18 by one
    # customer. Placed and cancelled on one day, that was never demand: no series yet.
    assert "23166" not in set(df["unique_id"])
    first = demand_history(shop).query("unique_id == '23166' and y > 0").iloc[0]
    assert (first["ds"], first["y"]) == (pd.Timestamp("2011-05-12"), 108.0)
    # Independently from the source file: real products, sales net of same-day cancellations,
    # never below zero (exact duplicate rows are quarantined, so they are dropped here too).
    from tests.conftest import ONLINE_RETAIL

    src = pd.read_parquet(ONLINE_RETAIL)
    src = src[~src.duplicated()]
    non_products = {"POST", "DOT", "C2", "D", "M", "m", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B"}
    goods = ~src.StockCode.isin(non_products) & ~src.StockCode.str.startswith("gift_0001_")
    sale = (goods & ~src.InvoiceNo.str[0].isin(["C", "A"]) & (src.Quantity > 0)
            & ~((src.UnitPrice == 0) & src.CustomerID.isna()))
    cancelled = goods & src.InvoiceNo.str.startswith("C")
    lines = src[(sale | cancelled) & (src.InvoiceDate < "2011-04-01")]
    net = lines.groupby([lines.StockCode, lines.InvoiceDate.dt.normalize()])["Quantity"].sum()
    assert df["y"].sum() == pytest.approx(net.clip(lower=0).sum())
    assert df["ds"].max() == pd.Timestamp("2011-03-31")
    assert not df.duplicated(["unique_id", "ds"]).any()
    # Zero-filled from the first day of demand to the end of history: each series is a full run of days.
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
