"""The expected delivery of an open order, from the lead times of its route."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from shopops.support import DeliveryEstimator


def _history(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Delivered orders of two routes: UK standard (24 h to ship, 48 h transit) and a slow export route."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-01")
    rows = []
    for k in range(n):
        uk = k % 4 != 0
        ship = rng.uniform(12, 36)
        transit = rng.uniform(36, 60) if uk else rng.uniform(150, 210)
        rows.append({"carrier": "royal_mail" if uk else "dhl_world", "service": "standard",
                     "ship_country": "United Kingdom" if uk else "China",
                     "ordered_at": start + pd.Timedelta(hours=6 * k), "hours_to_ship": ship,
                     "hours_to_delivery": ship + transit})
    return pd.DataFrame(rows)


def test_a_shipped_order_is_expected_after_its_route_transit() -> None:
    est = DeliveryEstimator(min_orders=10).fit(_history(), as_of=pd.Timestamp("2025-03-01"))
    shipped = pd.Timestamp("2025-03-01")
    uk = est.estimate({"carrier": "royal_mail", "service": "standard", "ship_country": "United Kingdom",
                       "ordered_at": shipped - pd.Timedelta(hours=20), "shipped_at": shipped})
    export = est.estimate({"carrier": "dhl_world", "service": "standard", "ship_country": "China",
                           "ordered_at": shipped - pd.Timedelta(hours=20), "shipped_at": shipped})
    assert uk is not None and export is not None
    assert uk.route == "royal_mail/standard/United Kingdom" and export.route == "dhl_world/standard/China"
    assert 36 <= (uk.expected_at - shipped.to_pydatetime()).total_seconds() / 3600 <= 60
    assert 150 <= (export.expected_at - shipped.to_pydatetime()).total_seconds() / 3600 <= 210
    assert uk.expected_at <= uk.latest_at and uk.orders >= 10


def test_an_order_late_on_its_way_gets_a_later_date_than_a_fresh_one() -> None:
    est = DeliveryEstimator(min_orders=10).fit(_history())
    row = {"carrier": "royal_mail", "service": "standard", "ship_country": "United Kingdom",
           "ordered_at": datetime(2025, 3, 1), "shipped_at": datetime(2025, 3, 2)}
    fresh = est.estimate(row, as_of=datetime(2025, 3, 2))
    late = est.estimate(row, as_of=datetime(2025, 3, 4, 6))  # 54 h on the way: only the slowest compare
    assert fresh is not None and late is not None
    assert late.expected_at > fresh.expected_at and late.expected_at > datetime(2025, 3, 4, 6)
    assert late.orders < fresh.orders


def test_an_unshipped_order_counts_the_time_to_dispatch() -> None:
    est = DeliveryEstimator(min_orders=10).fit(_history())
    row = {"carrier": "royal_mail", "service": "standard", "ship_country": "United Kingdom",
           "ordered_at": datetime(2025, 3, 1), "shipped_at": None}
    got = est.estimate(row, as_of=datetime(2025, 3, 1))
    assert got is not None
    hours = (got.expected_at - datetime(2025, 3, 1)).total_seconds() / 3600
    assert 48 <= hours <= 96  # 12-36 h to ship plus 36-60 h transit


def test_an_unknown_route_falls_back_to_a_coarser_one_and_no_history_says_nothing() -> None:
    est = DeliveryEstimator(min_orders=10).fit(_history())
    got = est.estimate({"carrier": "new_carrier", "service": "standard", "ship_country": "Peru",
                        "ordered_at": datetime(2025, 3, 1), "shipped_at": None}, as_of=datetime(2025, 3, 1))
    assert got is not None and got.route == "standard"
    empty = DeliveryEstimator().fit(_history().iloc[:0])
    assert empty.estimate({"ordered_at": datetime(2025, 3, 1), "shipped_at": None}) is None
    with pytest.raises(ValueError, match="hours_to_delivery"):
        DeliveryEstimator().fit(pd.DataFrame({"carrier": ["x"]}))


def test_an_order_later_than_any_before_it_has_no_estimate() -> None:
    est = DeliveryEstimator(min_orders=10).fit(_history())
    row = {"carrier": "royal_mail", "service": "standard", "ship_country": "United Kingdom",
           "ordered_at": datetime(2025, 3, 1), "shipped_at": datetime(2025, 3, 2)}
    assert est.estimate(row, as_of=datetime(2025, 4, 1)) is None


def test_an_unshipped_order_with_a_promise_is_expected_as_early_or_late_as_such_promises_were_kept() -> None:
    history = _history()
    # Every promise was 60 h after the order; deliveries came at 48-96 h.
    history["promised_at"] = history["ordered_at"] + pd.Timedelta(hours=60)
    est = DeliveryEstimator(min_orders=10).fit(history)
    row = {"carrier": "royal_mail", "service": "standard", "ship_country": "United Kingdom",
           "ordered_at": datetime(2025, 3, 1), "shipped_at": None, "promised_at": datetime(2025, 3, 4)}
    got = est.estimate(row, as_of=datetime(2025, 3, 1))
    uk = history[history["carrier"] == "royal_mail"]
    offset = float(np.median(uk["hours_to_delivery"] - 60.0))
    assert got is not None
    assert abs((got.expected_at - datetime(2025, 3, 4)).total_seconds() / 3600 - offset) < 1.0
