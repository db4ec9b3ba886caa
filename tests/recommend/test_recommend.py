"""Recommenders: the Online Retail evaluation, filters, explanations, basket rules and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from shopops import Shop
from shopops.cli import app
from shopops.customers import CustomerDataError, UnknownCustomerError
from shopops.recommend import BasketRules, Recommender, evaluate_recommenders, ranking_metrics
from tests.customers.conftest import HEADER, SMALL_LINES, make_shop

runner = CliRunner()


@pytest.fixture(scope="module")
def retail(retail_shop) -> Shop:
    return retail_shop[0]


def test_als_recall_is_at_least_twice_popularity_on_online_retail(retail: Shop):
    evaluation = retail.recommend_evaluate(test_days=30, k=10, models=("popularity", "als"))
    assert evaluation.cutoff == "2011-11-10"
    table = evaluation.frame
    assert evaluation.metrics["all-items als recall@10"] == table.set_index(["protocol", "model"]).loc[
        ("all-items", "als"), "recall@10"]
    assert evaluation.train_lines > evaluation.test_lines > 0 and "train before 2011-11-10" in evaluation.explain()
    for protocol in ("all-items", "new-items"):
        rows = table[table["protocol"] == protocol].set_index("model")
        assert rows.loc["als", "recall@10"] >= 2 * rows.loc["popularity", "recall@10"], protocol
        assert rows.loc["als", "coverage"] > rows.loc["popularity", "coverage"]
        assert rows.loc["als", "users"] == rows.loc["popularity", "users"] > 1000


def test_retail_recommendations_are_products_with_reasons(retail: Shop):
    recs = retail.recommend("15249", k=10).frame
    assert list(recs.columns[:4]) == ["product_id", "score", "model", "reason"]
    assert len(recs) == 10 and recs["product_id"].is_unique and recs["score"].is_monotonic_decreasing
    products = retail.sql("SELECT product_id, is_product FROM dim_product").set_index("product_id")["is_product"]
    assert products.reindex(recs["product_id"]).all()
    assert recs["reason"].str.len().gt(10).all()
    fresh = retail.recommend("15249", k=10, exclude_bought=True).frame
    bought = set(retail.sql("SELECT DISTINCT product_id FROM fact_order_line WHERE customer_id = '15249'")
                 ["product_id"])
    assert not set(fresh["product_id"]) & bought


def test_non_products_are_never_candidates(retail: Shop):
    from shopops.recommend import fit_recommender

    candidates = set(fit_recommender(retail.reader).data_.products)
    non_products = set(retail.sql("SELECT product_id FROM dim_product WHERE NOT is_product")["product_id"])
    assert {"POST", "DOT", "M"} <= non_products
    assert not candidates & non_products


def test_unknown_customer_is_a_clear_error(retail: Shop):
    with pytest.raises(UnknownCustomerError, match="not in the warehouse"):
        retail.recommend("no-such-customer")


def test_basket_rules_of_retail(retail: Shop):
    rules = retail.basket_rules().frame
    assert (rules["lift"] > 0).all() and rules["confidence"].between(0.1, 1).all()
    top = retail.recommend_basket(["22423"], k=5).frame
    assert retail.basket_rules().orders > 10_000 and "rules from" in retail.basket_rules().explain()
    assert len(top) == 5 and "22423" not in set(top["product_id"])


def test_basket_rule_numbers_by_hand():
    lines = pd.DataFrame({"order_id": ["1", "1", "2", "2", "3", "4"], "product_id": ["A", "B", "A", "B", "A", "C"]})
    rules = BasketRules(min_support=0.25, min_confidence=0.1).fit(lines).rules_.set_index(["antecedent", "consequent"])
    ab, ba = rules.loc[("A", "B")], rules.loc[("B", "A")]
    assert ab["support"] == 0.5 and ab["confidence"] == pytest.approx(2 / 3) and ab["lift"] == pytest.approx(4 / 3)
    assert ba["confidence"] == 1.0 and ba["lift"] == pytest.approx(4 / 3)


def test_ranking_metrics_by_hand():
    m = ranking_metrics(np.array([[1, 2, 3], [4, 5, 6]]), [{1, 3}, {9}], k=3)
    assert m["precision@3"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["recall@3"] == pytest.approx(0.5)
    assert m["hit_rate"] == 0.5
    assert m["map@3"] == pytest.approx((1 + 2 / 3) / 2 / 2)
    ideal = 1 + 1 / np.log2(3)
    assert m["ndcg@3"] == pytest.approx((1 + 1 / np.log2(4)) / ideal / 2)


STOCK = "product_id,date,on_hand\nA,2024-06-28,0\nB,2024-06-28,4\n"


def test_out_of_stock_and_new_customers(tmp_path):
    customers = "customer_id,country\nC1,UK\nC9,UK\n"
    shop = make_shop(tmp_path, SMALL_LINES, stock=STOCK, customers=customers)
    for model in ("item-item", "popularity", "als"):
        recs = shop.recommend("C2", k=10, model=model).frame
        assert "A" not in set(recs["product_id"]), model  # A is out of stock
        assert set(recs["product_id"]) <= {"B", "C"}
    new = shop.recommend("C9", k=3).frame  # known customer, no purchases
    assert new["model"].eq("popularity").all() and new["reason"].str.startswith("new customer").all()
    with pytest.raises(UnknownCustomerError):
        shop.recommend("C404")


def test_evaluation_needs_a_test_period():
    lines = pd.DataFrame({"customer_id": ["a"], "product_id": ["A"], "order_id": ["1"],
                          "order_date": pd.to_datetime(["2024-01-01"]), "quantity": [1]})
    with pytest.raises(CustomerDataError, match="both must be non-empty"):
        evaluate_recommenders(lines, [], test_days=30)
    with pytest.raises(CustomerDataError, match="k must be at least 1"):
        Recommender(model="popularity").fit(lines, pd.DataFrame({"product_id": ["A"], "name": ["a"]})).recommend("a", 0)


def test_cli_segment_recommend_and_errors(tmp_path):
    shop = make_shop(tmp_path, SMALL_LINES)
    data = str(shop.data_dir)
    out = tmp_path / "customers.csv"
    result = runner.invoke(app, ["segment", "--data", data, "--out", str(out), "--plot", str(tmp_path / "s.png")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype={"customer_id": str})
    assert sorted(table["customer_id"]) == ["C1", "C2", "C3", "C4"]
    assert (tmp_path / "s.png").stat().st_size > 1000
    recs = tmp_path / "recs.csv"
    result = runner.invoke(app, ["recommend", "--data", data, "--all", "--out", str(recs), "-k", "2",
                                 "--model", "item-item"])
    assert result.exit_code == 0, result.output
    batch = pd.read_csv(recs)
    assert set(batch.groupby("customer_id").size()) <= {1, 2} and batch["rank"].min() == 1
    bad = runner.invoke(app, ["recommend", "--data", data, "--customer", "C404"])
    assert bad.exit_code == 2 and "C404" in bad.output
    assert runner.invoke(app, ["recommend", "--data", data, "--all"]).exit_code == 2  # --all needs --out
    churn = runner.invoke(app, ["churn", "--data", data, "--horizon-days", "120"])
    assert churn.exit_code == 2 and "history spans" in churn.output
    clv = runner.invoke(app, ["clv", "--data", data, "--horizon-days", "30", "--format", "csv"])
    assert clv.exit_code == 0 and "customer_id" in clv.stdout


def test_cli_single_day_history_exits_2(tmp_path):
    shop = make_shop(tmp_path, HEADER + "1,1,2024-01-03 10:00,A,2,5.0,C1\n")
    result = runner.invoke(app, ["clv", "--data", str(shop.data_dir)])
    assert result.exit_code == 2 and "spans 0 day" in result.output
