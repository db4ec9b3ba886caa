"""RFM segments, clusters and churn on Online Retail and on a small shop with every kind of bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from shopops import Shop
from shopops.customers import (
    SEGMENT_RULES,
    ChurnModel,
    CustomerDataError,
    assign_segments,
    churn_features,
    customer_orders,
    top_decile_lift,
)
from tests.customers.conftest import HEADER, make_shop

CONTRACT = ["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment",
            "cluster"]


@pytest.fixture(scope="module")
def retail(retail_shop) -> Shop:
    return retail_shop[0]


def test_every_rf_cell_has_exactly_one_segment():
    cells = pd.DataFrame([(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r_score", "f_score"])
    hits = sum(rule.matches(cells["r_score"], cells["f_score"]).astype(int) for rule in SEGMENT_RULES)
    assert hits.tolist() == [1] * 25


def test_retail_segments_follow_the_contract(retail: Shop):
    seg = retail.segments().frame
    assert list(seg.columns[: len(CONTRACT)]) == CONTRACT
    # Customers with a product sale, free ones included (13256 only ever got 12,540 units at price 0).
    known = retail.sql("SELECT count(*) AS n FROM dim_customer WHERE orders > 0")["n"].iloc[0]
    assert len(seg) == seg["customer_id"].nunique() == known  # lines without a customer id are not a customer
    assert seg["segment"].notna().all()
    assert seg[["r_score", "f_score", "m_score"]].isin(range(1, 6)).all().all()
    # Better recency means a higher recency score, never a lower one.
    by_r = seg.groupby("r_score")["recency_days"].max()
    assert by_r.is_monotonic_decreasing
    champions = seg[seg["segment"] == "champions"]
    assert champions["recency_days"].median() < seg["recency_days"].median()
    assert (seg.loc[seg["refunds_exceed_sales"], "monetary"] == 0).all()
    assert seg.loc[seg["customer_id"] == "12346", "monetary"].iloc[0] == 0.0  # bought 74,215 units, all cancelled


def test_retail_summary_and_clusters(retail: Shop):
    summary = retail.segment_summary()
    result = retail.segments()
    seg = result.frame
    assert summary["customers"].sum() == len(seg)
    assert summary["share"].sum() == pytest.approx(1.0)
    assert summary["revenue"].sum() == pytest.approx(seg["monetary"].sum())
    profiles = retail.cluster_profiles()
    silhouette = result.silhouette
    assert len(profiles) == max(silhouette, key=silhouette.get) == seg["cluster"].nunique()
    assert profiles["revenue"].is_monotonic_decreasing  # cluster 0 = most revenue
    assert profiles["description"].str.contains("spend").all()


def test_retail_churn_beats_chance_with_reasons(retail: Shop):
    result = retail.churn(horizon_days=90)
    risk, m = result.frame, result.metrics
    assert m["auc"] > 0.68 and m["pr_auc"] > m["churn_rate"] and m["top_decile_lift"] > 1.2
    assert risk["churn_probability"].between(0, 1).all()
    assert risk["churn_probability"].is_monotonic_decreasing
    assert risk["reasons"].str.len().gt(0).all()
    assert risk["reasons"].iloc[0].split("=")[0] in risk.columns


def test_churn_features_use_only_the_past():
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "a"], "order_id": ["1", "2", "3"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        "sales": [10.0, 20.0, 30.0], "refunds": [0.0, 0.0, 0.0], "units": [1, 2, 3], "products": [1, 2, 3]})
    f = churn_features(orders, pd.Timestamp("2024-02-15"))
    assert f.loc["a", "frequency"] == 2 and f.loc["a", "monetary"] == 30.0
    assert f.loc["a", "recency_days"] == 14 and f.loc["a", "mean_gap_days"] == 31


def test_top_decile_lift():
    import numpy as np

    y = np.array([1] * 10 + [0] * 90)
    assert top_decile_lift(y, -np.arange(100.0)) == pytest.approx(10.0)
    assert top_decile_lift(y, np.arange(100.0)) == 0.0


def test_small_shop_bad_input(small_shop: Shop):
    seg = small_shop.segments().frame.set_index("customer_id")
    assert sorted(seg.index) == ["C1", "C2", "C3", "C4"]  # the guest line (no customer id) is nobody's
    assert seg.loc["C1", "frequency"] == 1
    assert bool(seg.loc["C3", "refunds_exceed_sales"]) and seg.loc["C3", "monetary"] == 0.0
    assert seg.loc["C3", "refunds"] == 30.0
    values = small_shop.clv(horizon_days=90).customers.set_index("customer_id")
    assert values.loc["C1", "frequency"] == 0 and values.loc["C1", "p_alive"] == 1.0
    assert values.loc["C3", "expected_order_value"] >= 0
    assert (values["clv"] >= 0).all()
    with pytest.raises(CustomerDataError, match="history spans"):
        small_shop.churn(horizon_days=120)  # 177 days of history: 2 x 120 does not fit


def test_single_day_history(tmp_path):
    shop = make_shop(tmp_path, HEADER + "1,1,2024-01-03 10:00,A,2,5.0,C1\n2,1,2024-01-03 11:00,B,1,5.0,C2\n")
    seg = shop.segments().frame
    assert len(seg) == 2 and (seg["recency_days"] == 1).all()
    assert (seg["cluster"] == -1).all() and seg["cluster_description"].str.contains("not clustered").all()
    with pytest.raises(CustomerDataError, match="spans 0 day"):
        shop.clv()
    with pytest.raises(CustomerDataError, match="history spans"):
        shop.churn(horizon_days=30)


def test_no_customer_ids_at_all(tmp_path):
    shop = make_shop(tmp_path, HEADER + "1,1,2024-01-03 10:00,A,2,5.0,\n")
    with pytest.raises(CustomerDataError, match="no order lines with a customer id"):
        customer_orders(shop)
    with pytest.raises(CustomerDataError):
        shop.segments()


def test_churn_needs_both_outcomes():
    days = pd.date_range("2024-01-01", periods=40, freq="7D")
    orders = pd.DataFrame({"customer_id": ["a"] * 40, "order_id": [str(i) for i in range(40)],
                           "order_date": days, "sales": 1.0, "refunds": 0.0, "units": 1, "products": 1})
    with pytest.raises(CustomerDataError, match="needs both outcomes"):
        ChurnModel(horizon_days=30).fit(orders)


def test_assign_segments_explains_itself():
    rfm = pd.DataFrame({"r_score": [5, 1], "f_score": [5, 1], "recency_days": [2, 300], "frequency": [20, 1]})
    out = assign_segments(rfm)
    assert out["segment"].tolist() == ["champions", "hibernating"]
    assert "300 days ago" in out["segment_reason"].iloc[1]


def test_customer_results_carry_their_model_and_metrics(small_shop: Shop):
    from shopops.customers import ClvResult, SegmentsResult

    seg = small_shop.segments()
    assert isinstance(seg, SegmentsResult) and seg.capability == "customers"
    assert seg.summary["customers"].sum() == len(seg.frame)
    assert seg.summary.equals(small_shop.segment_summary())
    assert "segments:" in seg.explain()
    # The result is a copy: changing it leaves the cached analysis alone.
    seg.frame["segment"] = "changed"
    assert (small_shop.segments().frame["segment"] != "changed").all()
    clv = small_shop.clv(horizon_days=90)
    assert isinstance(clv, ClvResult) and clv.backtest is clv.metrics and clv.params["horizon_days"] == 90
    assert clv.customers["clv"].is_monotonic_decreasing
    assert set(clv.bgnbd_params) == {"r", "alpha", "a", "b"} and "BG/NBD" in clv.explain()
