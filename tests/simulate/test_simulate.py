"""Tests of the synthetic shop: contract (schemas, keys, nulls), determinism and realism."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import shopops.simulate as simulate
from shopops.errors import ShopopsError
from shopops.schema import TABLES
from shopops.simulate import SimulationConfig, SimulationConfigError, SimulationSummary, simulate_shop

SMALL = SimulationConfig(seed=7, start=datetime.date(2024, 9, 1), days=150, n_products=60, n_customers=4_000,
                         web_event_days=21, messages_per_1000_orders=60.0)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate_shop(tmp_path_factory.mktemp("shop"), SMALL)


def read(summary: SimulationSummary, name: str) -> pd.DataFrame:
    frame: pd.DataFrame = pq.read_table(summary.out_dir / name).to_pandas()
    return frame


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.parquet"))}


def test_public_api() -> None:
    assert sorted(simulate.__all__) == ["ChannelTruth", "FAQ_TOPICS", "MarketingSimulation", "SUPPORT_LOG",
                                        "SimulationConfig", "SimulationConfigError", "SimulationSummary", "kb_table",
                                        "simulate_marketing", "simulate_shop", "support_log", "write_support_log"]


def test_every_table_has_exactly_the_canonical_schema(shop: SimulationSummary) -> None:
    for name, table in TABLES.items():
        parts = sorted((shop.out_dir / name).glob("part-*.parquet"))
        assert parts and parts[0].name == "part-00000.parquet", name
        for part in parts:
            assert pq.read_schema(part).remove_metadata().equals(table.arrow_schema()), (name, part)


def test_summary_counts_the_rows_written(shop: SimulationSummary) -> None:
    for name in TABLES:
        assert shop.rows[name] == pq.read_table(shop.out_dir / name).num_rows, name
        if name not in ("live_events", "live_alerts"):  # the monitor writes these, not the simulator
            assert shop.rows[name] > 0, name


def test_keys_are_unique_and_required_columns_filled(shop: SimulationSummary) -> None:
    for name, table in TABLES.items():
        frame = read(shop, name)
        assert not frame.duplicated(subset=list(table.key)).any(), name
        for column in table.required:
            assert frame[column].notna().all(), (name, column)


def test_same_seed_same_bytes_other_seed_other_data(shop: SimulationSummary, tmp_path: Path) -> None:
    again = simulate_shop(tmp_path / "again", SMALL)
    assert digests(again.out_dir) == digests(shop.out_dir)
    other = simulate_shop(tmp_path / "other", dataclasses.replace(SMALL, seed=8))
    assert not read(other, "order_lines").equals(read(shop, "order_lines"))


def test_rerun_into_the_same_folder_replaces_the_parts(shop: SimulationSummary, tmp_path: Path) -> None:
    small = dataclasses.replace(SMALL, days=40, rows_per_file=1_000)
    first = simulate_shop(tmp_path, small)
    assert len(list((tmp_path / "order_lines").glob("*.parquet"))) > 1
    second = simulate_shop(tmp_path, dataclasses.replace(small, rows_per_file=10**6))
    assert len(list((tmp_path / "order_lines").glob("*.parquet"))) == 1
    assert second.rows == first.rows


def test_sales_plus_lost_sales_is_demand(shop: SimulationSummary) -> None:
    lines = read(shop, "order_lines")
    sales = lines[lines.line_type == "sale"].assign(date=lambda f: f.ordered_at.dt.date)
    truth_kind = read(shop, "order_truth").set_index("order_id").bad_kind
    sales = sales[sales.order_id.map(truth_kind) != "duplicate"]  # a second submission is not demand
    sold = sales.groupby(["product_id", "date"]).quantity.sum()
    truth = read(shop, "demand_truth").assign(date=lambda f: pd.to_datetime(f.date).dt.date)
    truth = truth.set_index(["product_id", "date"])
    assert (truth.lost_sales > 0).sum() > 10
    joined = truth.join(sold.rename("sold"), how="left").fillna({"sold": 0})
    assert (joined.sold + joined.lost_sales == joined.demand).all()
    assert sold.index.isin(truth.index).all()  # nothing sells outside the on-sale days


def test_stock_outs_happen_but_are_not_the_rule(shop: SimulationSummary) -> None:
    stock = read(shop, "stock")
    assert (stock.on_hand >= 0).all()
    assert 0.02 < (stock.on_hand == 0).mean() < 0.3


def test_demand_is_intermittent_for_most_products_and_weekends_are_busier(shop: SimulationSummary) -> None:
    truth = read(shop, "demand_truth")
    selling_days = truth.assign(sold=truth.demand > 0).groupby("product_id").sold.mean()
    assert (selling_days < 0.5).mean() > 0.5  # most products sell on few days
    assert selling_days.max() > 0.7  # a few sell nearly every day
    weekend = pd.to_datetime(truth.date).dt.dayofweek >= 5
    assert truth.demand[weekend].mean() > 1.08 * truth.demand[~weekend].mean()


def test_order_lines_are_numbered_per_document(shop: SimulationSummary) -> None:
    lines = read(shop, "order_lines")
    per_doc = lines.groupby("order_id").line_no.agg(["min", "max", "count"])
    assert (per_doc["min"] == 1).all()
    assert (per_doc["max"] == per_doc["count"]).all()
    assert set(lines.line_type) == {"sale", "shipping", "discount", "cancellation", "return"}
    products = read(shop, "products").set_index("product_id")
    assert lines.product_id.isin(products.index).all()
    assert not products.loc[["SHIPPING", "DISCOUNT"], "is_product"].any()
    assert (lines[lines.line_type == "sale"].quantity > 0).all()
    assert lines.quantity[lines.line_type == "sale"].between(1, 3).mean() > 0.95


def test_cancellations_and_returns(shop: SimulationSummary) -> None:
    lines = read(shop, "order_lines")
    orders = read(shop, "orders").set_index("order_id")
    cancels = lines[lines.line_type == "cancellation"]
    returns = lines[lines.line_type == "return"]
    sales = lines[lines.line_type == "sale"]
    assert (cancels.quantity < 0).all() and (returns.quantity < 0).all()
    assert cancels.order_id.str.startswith("C").all() and returns.order_id.str.startswith("R").all()
    assert cancels.order_id.str[1:].isin(orders.index).all()
    assert 0.01 < cancels.order_id.nunique() / len(orders) < 0.06
    assert 0.02 < len(returns) / len(sales) < 0.1
    cancelled = orders.loc[cancels.order_id.str[1:].unique()]
    assert (cancelled.status == "cancelled").all() and cancelled.shipped_at.isna().all()
    origin = orders.reindex(returns.order_id.str[1:].to_numpy())
    assert (returns.ordered_at.to_numpy() > origin.delivered_at.to_numpy()).all()


def test_fulfilment_times_are_ordered_and_some_deliveries_late(shop: SimulationSummary) -> None:
    orders = read(shop, "orders")
    delivered = orders.dropna(subset=["delivered_at"])
    assert (delivered.shipped_at > delivered.ordered_at).all()
    assert (delivered.delivered_at > delivered.shipped_at).all()
    late = delivered.delivered_at > delivered.promised_at
    assert 0.03 < late.mean() < 0.3
    day = delivered.ordered_at.dt
    peak = ((day.month == 11) & (day.day >= 24)) | ((day.month == 12) & (day.day <= 20))
    assert late[peak].mean() > 1.5 * late[~peak].mean()  # the Christmas rush makes deliveries late
    assert set(orders.status) <= {"placed", "paid", "shipped", "delivered", "cancelled", "returned"}


def test_repeat_customers_follow_a_plausible_share(shop: SimulationSummary) -> None:
    orders = read(shop, "orders")
    per_customer = orders.dropna(subset=["customer_id"]).groupby("customer_id").size()
    assert 0.08 < (per_customer >= 2).mean() < 0.45  # five months: fewer repeat buyers than in two years
    assert 0.02 < orders.customer_id.isna().mean() < 0.15  # guest orders
    customers = read(shop, "customers").set_index("customer_id")
    assert per_customer.index.isin(customers.index).all()
    first_order = orders.dropna(subset=["customer_id"]).groupby("customer_id").ordered_at.min()
    assert (customers.acquired_at.loc[first_order.index] <= first_order).all()
    assert customers.name.str.contains(r"[\u4e00-\u9fff]").any()
    assert customers.name.str.contains(r"^[A-Za-z]+ [A-Za-z]+$").any()


def test_messages_come_in_chinese_and_english_about_real_orders(shop: SimulationSummary) -> None:
    messages = read(shop, "messages")
    orders = read(shop, "orders")
    share_zh = (messages.language == "zh").mean()
    assert 0.2 < share_zh < 0.6
    assert {"order_status", "return_request", "complaint"} <= set(messages.intent)
    about_order = messages.dropna(subset=["order_id"])
    assert about_order.order_id.isin(orders.order_id).all()
    assert all(order_id in text for order_id, text in zip(about_order.order_id, about_order.text, strict=True))
    assert messages[messages.language == "zh"].text.str.contains(r"[\u4e00-\u9fff]").all()


def test_web_events_cover_only_the_last_days_and_purchases_match_orders(shop: SimulationSummary) -> None:
    events = read(shop, "web_events")
    first_day = pd.Timestamp(SMALL.end - datetime.timedelta(days=SMALL.web_event_days))
    assert events.ts.min() >= first_day and events.ts.max() < pd.Timestamp(SMALL.end)
    assert set(events.event_type) == {"page_view", "search", "product_view", "add_to_cart", "checkout",
                                      "purchase"}
    sessions = events.session_id.nunique()
    converting = events[events.event_type == "purchase"].session_id.nunique()
    assert 0.02 < converting / sessions < 0.06
    orders = read(shop, "orders")
    recent = orders[(orders.ordered_at >= first_day) & (orders.channel != "marketplace")]
    assert converting == pytest.approx(len(recent), rel=0.01)


def test_ads_have_channel_typical_click_through_rates(shop: SimulationSummary) -> None:
    ads = read(shop, "ad_stats")
    assert (ads.clicks <= ads.impressions).all() and (ads.conversions <= ads.clicks).all()
    ctr = ads.groupby("channel").clicks.sum() / ads.groupby("channel").impressions.sum()
    assert ctr["search"] > 2 * ctr.get("social", 0.0)
    assert ctr["search"] > 5 * ctr.get("display", 0.0)


def test_purchase_orders_respect_case_packs_and_some_are_open(shop: SimulationSummary) -> None:
    pos = read(shop, "purchase_orders")
    suppliers = read(shop, "suppliers").set_index("supplier_id")
    pack = suppliers.case_pack.loc[pos.supplier_id].to_numpy()
    assert (pos.quantity % pack == 0).all()
    received = pos.dropna(subset=["received_at"])
    assert (received.received_at > received.ordered_at).all()
    assert pos.received_at.isna().any()


def test_target_order_lines_scales_the_shop(tmp_path: Path) -> None:
    config = SimulationConfig(seed=1, days=90, n_products=40, target_order_lines=30_000, web_event_days=7)
    summary = simulate_shop(tmp_path, config)
    lines = read(summary, "order_lines")
    assert (lines.line_type == "sale").sum() == pytest.approx(30_000, rel=0.1)


def test_progress_bar_runs(tmp_path: Path) -> None:
    summary = simulate_shop(tmp_path, dataclasses.replace(SMALL, days=31, n_customers=500), progress=True)
    assert summary.rows["orders"] > 0 and summary.seconds > 0


@pytest.mark.parametrize("change", [{"days": 5}, {"n_products": 0}, {"return_rate": 1.5},
                                    {"target_order_lines": 10}, {"lines_per_order": 0.5}])
def test_invalid_config_says_what_to_fix(change: dict[str, object]) -> None:
    with pytest.raises(SimulationConfigError, match=next(iter(change))) as error:
        SimulationConfig(**change)  # type: ignore[arg-type]
    assert isinstance(error.value, ShopopsError)
