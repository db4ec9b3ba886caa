from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopops import Shop
from shopops.errors import WarehouseError
from shopops.orders import (
    BAD_SHARE_BOUND,
    CheckoutContext,
    choose_hold_risk,
    decide_one,
    load_rules,
    load_scorer,
    order_features,
    score_and_decide,
)
from shopops.warehouse._operational import operational_sources, operational_tables
from tests.service.conftest import make_service


def test_the_build_copies_decisions_and_reviews_into_the_warehouse(orders_shop: Shop, tmp_path: Path) -> None:
    # A copy of the shared shop, so that its decisions and rebuild stay out of the other tests.
    shutil.copytree(orders_shop.data_dir, tmp_path / "shop")
    orders_shop = Shop.open(tmp_path / "shop")
    orders_shop.orders_triage(since=date(2024, 9, 1))
    held = orders_shop.orders_queue(limit=2)
    orders_shop.orders_review(str(held.order_id.iloc[0]), "approve", "ann")
    orders_shop.orders_review(str(held.order_id.iloc[1]), "cancel", "ann")
    orders_shop.build()
    stored = orders_shop.orders_queue(limit=100_000)
    facts = orders_shop.sql("SELECT * FROM fact_order_decision")
    assert len(facts) >= len(stored) + 2 and facts.order_id.is_unique
    first = facts.set_index("order_id").loc[str(held.order_id.iloc[0])]
    assert first.touched and first.overridden and first.review_status == "approved" and first.in_warehouse
    second = facts.set_index("order_id").loc[str(held.order_id.iloc[1])]
    assert second.touched and not second.overridden and second.review_status == "cancelled"
    # The KPI adds up to the decisions, per day and per week.
    kpi = orders_shop.sql("SELECT grain, sum(decided) AS decided, sum(held) AS held, sum(overridden) AS o "
                          "FROM kpi_triage GROUP BY 1 ORDER BY 1")
    assert kpi.decided.tolist() == [len(facts)] * 2 and kpi.held.tolist() == [int(facts.touched.sum())] * 2
    # Other tests of the session may have reviewed orders of the shared shop before it was copied.
    assert kpi.o.tolist() == [int(facts.overridden.sum())] * 2 and facts.overridden.sum() >= 1
    day = orders_shop.sql("SELECT decided, automation_rate, held FROM kpi_triage WHERE grain = 'day'")
    assert np.allclose(day.automation_rate, 1 - day.held / day.decided)
    # The dashboard's KPIs read the automation rate per week from the warehouse copy.
    svc = make_service(orders_shop)
    with svc.client as client:
        weeks = client.get("/api/v1/orders/kpis?limit=5000", headers={"X-API-Key": svc.keys["operator"]}).json()
    decided_weeks = [p for p in weeks["periods"] if p.get("decided")]
    assert decided_weeks and sum(p["decided"] for p in decided_weeks) == len(facts)
    assert all(0 <= p["automation_rate"] <= 1 for p in decided_weeks)


def test_a_shop_without_decisions_builds_empty_decision_tables(tmp_path: Path) -> None:
    sources = operational_sources([("m", "-- operational: orders_decision (order_id VARCHAR, risk DOUBLE)\n"
                                          "SELECT * FROM ops_orders_decision")])
    tables = operational_tables(tmp_path, sources)
    assert tables["ops_orders_decision"].num_rows == 0
    assert tables["ops_orders_decision"].schema.names == ["order_id", "risk"]


def test_operational_sources_are_checked(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="model m: operational column 'risk REALLY' of t"):
        operational_sources([("m", "-- operational: t (order_id VARCHAR, risk REALLY)\nSELECT 1")])
    with pytest.raises(WarehouseError, match="other columns"):
        operational_sources([("a", "-- operational: t (x VARCHAR)"), ("b", "-- operational: t (y VARCHAR)")])
    with sqlite3.connect(tmp_path / "service.sqlite") as con:
        con.execute("CREATE TABLE t (x TEXT)")
        con.execute("INSERT INTO t VALUES ('not a number')")
    with pytest.raises(WarehouseError, match="has no column y"):
        operational_tables(tmp_path, operational_sources([("m", "-- operational: t (x VARCHAR, y DOUBLE)")]))
    with pytest.raises(WarehouseError, match="not of its declared type"):
        operational_tables(tmp_path, operational_sources([("m", "-- operational: t (x DOUBLE)")]))


def test_hold_risk_is_chosen_on_the_calibration_months_for_the_bound(orders_shop: Shop) -> None:
    scorer, rules = load_scorer(orders_shop.data_dir), load_rules()
    frame = order_features(orders_shop.reader)
    _, cal, hold = scorer.time_split(frame)
    threshold, chosen = choose_hold_risk(frame, scorer, rules, cal)
    assert threshold == pytest.approx(scorer.hold_risk)
    assert chosen["calibration_bad_share_of_auto_approved"] < BAD_SHARE_BOUND
    # The same search on the calibration months with a tighter bound holds at least as many orders.
    tighter, strict = choose_hold_risk(frame, scorer, rules, cal, bound=BAD_SHARE_BOUND / 5)
    assert tighter <= threshold
    assert strict.get("calibration_automation", 0.0) <= chosen["calibration_automation"]
    assert not (cal & hold).any()


def test_one_order_is_decided_as_in_a_batch(orders_shop: Shop) -> None:
    scorer, rules = load_scorer(orders_shop.data_dir), load_rules()
    frame = order_features(orders_shop.reader).sample(200, random_state=3).reset_index(drop=True)
    batch = score_and_decide(frame, rules, scorer)
    one = pd.DataFrame([decide_one(r, rules, scorer) for r in frame.to_dict("records")])
    for column in ("action", "reason", "rule", "flags", "reasons"):
        assert one[column].tolist() == batch[column].tolist(), column
    for column in ("risk", "late_risk", "delivery_days_p50", "delivery_days_p90"):
        assert np.allclose(one[column], batch[column]), column


def test_the_checkout_context_looks_up_history_and_routes(orders_shop: Shop) -> None:
    context = CheckoutContext(orders_shop.reader)
    frame = order_features(orders_shop.reader)
    repeat = frame[frame.prior_orders >= 2].iloc[-1]
    order = {"order_id": "NEW", "customer_id": repeat.customer_id, "order_value": 10.0, "units": 1, "lines": 1,
             "ship_country": repeat.ship_country, "ship_city": repeat.ship_city, "carrier": repeat.carrier,
             "warehouse": repeat.warehouse, "promise_days": 3.0}
    later = context.features(order, pd.Timestamp("2099-01-01"))
    known = frame[frame.customer_id == repeat.customer_id]
    assert later["prior_orders"] == len(known) and not later["new_customer"]
    assert later["route_delivery_days"] > 0 and 0 <= later["route_late_rate"] <= 1
    # An order placed before some of the customer's known orders sees only the earlier ones.
    earlier = context.features(order, pd.Timestamp(repeat.ordered_at))
    assert earlier["prior_orders"] == repeat.prior_orders
    guest = context.features({**order, "customer_id": None, "ship_city": "Atlantis"}, pd.Timestamp("2099-01-01"))
    assert guest["guest"] and guest["new_customer"] and np.isnan(guest["route_late_rate"])


def test_scores_saved_by_an_older_version_are_refused(tmp_path: Path) -> None:
    import pickle

    from shopops.orders import OrderScorer, OrdersError

    path = tmp_path / "models" / "orders" / "scorer.pkl"
    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps(OrderScorer()))  # fitted by nothing: no delivery model
    with pytest.raises(OrdersError, match="older shopops"):
        load_scorer(tmp_path)
