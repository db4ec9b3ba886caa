"""Validation, windows, rules, baseline and landing, without a server or a broker."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from shopops.lake import Lake
from shopops.monitor import (
    CountDetector,
    Event,
    EventIndex,
    Monitor,
    MonitorConfig,
    Rejected,
    RulesError,
    WindowSpec,
    WindowStore,
    check_events,
    decode_json,
    fit_baseline,
    landed_events,
    landed_spool_position,
    load_rules,
    parse_event,
    parse_payload,
    poisson_stop_delay,
    table_events,
)
from shopops.monitor._spool import Spool

NOW = 1_780_000_000.0  # a Monday? any fixed time: the tests pass the clock explicitly


def ev(i: int, kind: str = "order_placed", ts: float = NOW, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {"event_id": f"e{i}", "type": kind, "ts": ts}
    if kind.startswith("order") or kind == "payment_failed":
        base["order_id"] = f"o{i}"
    if kind == "order_placed":
        base["amount"] = 10.0
    if kind in ("page_view", "add_to_cart", "checkout"):
        base["session_id"] = f"s{i % 7}"
    if kind in ("add_to_cart", "stock_changed"):
        base["product_id"] = "p1"
    if kind == "stock_changed":
        base["quantity"] = 0
    base.update(kw)
    return base


def check(obj: object) -> Event | Rejected:
    return parse_event(obj, now=NOW, max_age_s=86400, max_ahead_s=300, source="test")


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize(("obj", "problem"), [
    ({"type": "order_paid", "ts": NOW, "order_id": "o"}, "event_id is missing"),
    ({"event_id": "", "type": "order_paid", "ts": NOW, "order_id": "o"}, "event_id is missing"),
    ({"event_id": "a", "type": "teleport", "ts": NOW}, "unknown event type 'teleport'"),
    ({"event_id": "a", "type": "order_paid", "ts": NOW + 3600, "order_id": "o"}, "too far from the intake clock"),
    ({"event_id": "a", "type": "order_paid", "ts": NOW - 3 * 86400, "order_id": "o"}, "too far from the intake clock"),
    ({"event_id": "a", "type": "order_paid", "ts": "yesterday", "order_id": "o"}, "not an ISO 8601 time"),
    ({"event_id": "a", "type": "order_placed", "ts": NOW, "order_id": "o"}, "needs amount"),
    ({"event_id": "a", "type": "order_placed", "ts": NOW, "order_id": "o", "amount": -1}, "amount must be"),
    ({"event_id": "a", "type": "stock_changed", "ts": NOW, "product_id": "p", "quantity": 1.5}, "quantity must be"),
    ({"event_id": "a", "type": "order_paid", "ts": NOW, "order_id": "o", "colour": "red"}, "unknown field(s) colour"),
    ([1, 2], "must be a JSON object"),
])
def test_bad_events_are_refused_with_the_reason(obj: object, problem: str) -> None:
    out = check(obj)
    assert isinstance(out, Rejected)
    assert problem in out.reason


def test_a_good_event_and_iso_times() -> None:
    out = check({"event_id": "a", "type": "order_placed", "ts": "2026-05-28T20:26:40Z", "order_id": "o",
                 "amount": 3})
    assert isinstance(out, Event)
    assert out.ts == pytest.approx(1_780_000_000.0)
    assert out.amount == 3.0


def mixed_batch(seed: int) -> list[object]:
    """Valid events of every type beside every kind of bad one, shuffled."""
    rng = np.random.default_rng(seed)
    kinds = ["order_placed", "order_paid", "order_cancelled", "page_view", "add_to_cart", "checkout",
             "payment_failed", "stock_changed", "customer_message"]
    bad: list[object] = [
        [1, 2], "text", None, 7, {"type": "order_paid", "ts": NOW, "order_id": "o"},
        ev(900, event_id=""), ev(901, event_id="   "), ev(902, event_id="\u00a0\u2003"), ev(903, event_id=12),
        ev(904, event_id="x" * 201), ev(905, type="teleport"), ev(906, type=None), ev(907, ts=True),
        ev(908, ts="yesterday"), ev(909, ts=NOW + 4000), ev(910, ts=NOW - 90_000), ev(911, ts=None),
        ev(912, ts=2**70), ev(913, amount=-1), ev(914, amount=True), ev(915, amount="3"), ev(916, amount=None),
        ev(917, "stock_changed", quantity=2.5), ev(918, "stock_changed", quantity=2**64),
        ev(919, "stock_changed", quantity=False), ev(920, order_id="o" * 201), ev(921, order_id=3.5),
        ev(922, colour="red"), ev(923, "page_view", session_id=None),
    ]
    odd_but_valid: list[object] = [
        ev(950, ts="2026-05-28T10:00:00Z"), ev(951, order_id=42), ev(952, ts=int(NOW)), ev(953, amount=3),
        ev(954, "stock_changed", quantity=-3), ev(955, event_id="ü-955"), ev(956, "page_view", customer_id="c1"),
        ev(957, ts=NOW + 299.5), ev(958, event_id="\u00e9"), ev(959, amount=0),
    ]
    good = [ev(i, str(rng.choice(kinds)), ts=NOW - float(rng.uniform(0, 80_000))) for i in range(60)]
    items = good + bad + odd_but_valid
    return [items[i] for i in rng.permutation(len(items))]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_validation_gives_exactly_what_one_by_one_validation_gives(seed: int) -> None:
    items = mixed_batch(seed)
    one_by_one = [parse_event(o, now=NOW, max_age_s=86400, max_ahead_s=300, source=f"http#{i}")
                  for i, o in enumerate(items)]
    batch = check_events(items, now=NOW, max_age_s=86400, max_ahead_s=300, where=lambda i: f"http#{i}")
    assert table_events(batch.events) == [r for r in one_by_one if isinstance(r, Event)]
    assert batch.rejected == [r for r in one_by_one if isinstance(r, Rejected)]
    assert len(batch.rejected) == 29 and batch.events.num_rows == 70
    # Every refusal names its position in the batch and its reason.
    assert {int(r.source.split("#")[1]) for r in batch.rejected} == \
        {i for i, r in enumerate(one_by_one) if isinstance(r, Rejected)}


def test_a_body_with_integers_past_64_bits_still_decodes_and_each_event_is_judged_alone() -> None:
    items = decode_json(json.dumps([ev(1), ev(2, amount=2**70)]).encode())
    batch = check_events(items, now=NOW, max_age_s=86400, max_ahead_s=300, where=lambda i: f"#{i}")
    assert batch.events["event_id"].to_pylist() == ["e1", "e2"] and batch.events["amount"][1].as_py() == 2.0**70
    with pytest.raises(json.JSONDecodeError, match="line 1 column 2"):
        decode_json(b"[}")


def test_a_torn_spool_record_is_cut_and_the_whole_ones_are_kept(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    first = check_events([ev(1), ev(2)], now=NOW, max_age_s=86400, max_ahead_s=300, where=str)
    second = check_events([ev(3), {"event_id": "x"}], now=NOW, max_age_s=86400, max_ahead_s=300, where=str)
    spool.append(first, 0)
    end = spool.append(second, 4)
    spool.close()
    path = next(tmp_path.glob("*.spool"))
    whole = path.read_bytes()
    path.write_bytes(whole + whole[:40])  # a third record torn by a crash mid-write: never acknowledged
    spool = Spool(tmp_path)
    assert path.stat().st_size == len(whole) == end[1]
    got = list(spool.read_from(1, 0))
    assert [(c.events["event_id"].to_pylist(), [r.reason for r in c.rejected], d) for c, d, _ in got] == \
        [(["e1", "e2"], [], 0), (["e3"], [second.rejected[0].reason], 4)]
    assert [pos for *_, pos in got] == [(1, got[0][2][1]), (1, end[1])]
    assert next(iter(spool.read_from(*got[0][2])))[0].events["event_id"].to_pylist() == ["e3"]
    spool.close()


def test_kafka_payload_that_is_not_json_is_quarantined() -> None:
    out = parse_payload(b"\x00not json{", now=NOW, max_age_s=86400, max_ahead_s=300, source="kafka:t/0@5")
    assert len(out) == 1 and isinstance(out[0], Rejected)
    assert out[0].reason.startswith("not JSON") and out[0].source == "kafka:t/0@5"


def test_index_drops_repeats_and_refuses_a_changed_repeat() -> None:
    index = EventIndex()
    a, b = check(ev(1)), check(ev(1, amount=99.0))
    fresh, refused, repeats = index.split([a, a, b])
    assert len(fresh) == 1 and repeats == 1
    assert len(refused) == 1 and "already taken with other content" in refused[0].reason


# ---------------------------------------------------------------- windows
def events(*dicts: dict[str, object]) -> list[Event]:
    out = [check(d) for d in dicts]
    assert all(isinstance(e, Event) for e in out)
    return out  # type: ignore[return-value]


def test_tumbling_and_hopping_windows_and_rates() -> None:
    start = (NOW // 3600) * 3600
    store = WindowStore([WindowSpec(5, 5), WindowSpec(15, 5)], grace_s=30)
    store.advance(start)
    store.add(events(ev(1, ts=start + 10), ev(2, ts=start + 70), ev(3, "order_cancelled", ts=start + 400),
                     ev(4, "page_view", ts=start + 20), ev(5, "page_view", ts=start + 30),
                     ev(6, "add_to_cart", ts=start + 40), ev(7, "payment_failed", ts=start + 50),
                     ev(8, "order_paid", ts=start + 60)))
    closed = store.advance(start + 15 * 60 + 30)
    # The window before `start` closes too (its grace ended after the first advance): it is empty.
    tumbling = [row for spec, row in closed if spec.name == "5m" and row["start"] >= start]
    assert [row["orders"] for row in tumbling] == [2.0, 0.0, 0.0]
    assert tumbling[1]["cancellations"] == 1.0
    first = tumbling[0]
    assert first["sessions"] == 3.0  # s4, s5 viewed, s6 added to its cart (session ids are i % 7)
    assert first["add_to_cart_rate"] == pytest.approx(1 / 3)
    assert first["conversion"] == pytest.approx(2 / 3)
    assert first["payment_failure_rate"] == pytest.approx(0.5)
    hopping = [row for spec, row in closed if spec.name == "15m/5m"]
    assert hopping[-1]["orders"] == 2.0 and hopping[-1]["cancellations"] == 1.0
    assert hopping[-1]["cancellation_rate"] == pytest.approx(0.5)


def test_windows_close_on_the_clock_with_zero_and_late_events_stay_out() -> None:
    start = (NOW // 3600) * 3600
    store = WindowStore([WindowSpec(1, 1)], grace_s=60)
    store.advance(start)
    closed = store.advance(start + 5 * 60 + 60)  # nothing happened: every window closes with zero orders
    assert [row["end"] - start for _spec, row in closed] == [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]
    assert [row["orders"] for _spec, row in closed] == [0.0] * 6
    assert store.add(events(ev(1, ts=start + 30))) == 1  # its window closed: too late
    assert store.late == 1
    assert store.add(events(ev(2, ts=start + 5 * 60 + 10))) == 0  # within grace of an open window


def test_out_of_stock_best_sellers_first() -> None:
    store = WindowStore([WindowSpec(1, 1)])
    store.add(events(ev(1, product_id="p2"), ev(2, product_id="p2"), ev(3, product_id="p1"),
                     ev(10, "stock_changed", product_id="p1", quantity=0),
                     ev(11, "stock_changed", product_id="p2", quantity=0),
                     ev(12, "stock_changed", product_id="p3", quantity=5)))
    assert [p["product_id"] for p in store.out_of_stock()] == ["p2", "p1"]


# ---------------------------------------------------------------- rules
def test_rule_file_errors_are_clear(tmp_path: Path) -> None:
    bad_kpi = tmp_path / "a.toml"
    bad_kpi.write_text('[[rule]]\nname = "x"\nkpi = "happiness"\n')
    with pytest.raises(RulesError, match="unknown KPI 'happiness'"):
        load_rules(bad_kpi)
    bad_for = tmp_path / "b.toml"
    bad_for.write_text('[[rule]]\nname = "x"\nkpi = "orders"\nfor = "ten minutes"\n')
    with pytest.raises(RulesError, match="not a duration"):
        load_rules(bad_for)
    bad_toml = tmp_path / "c.toml"
    bad_toml.write_text("[[rule]\n")
    with pytest.raises(RulesError, match="not valid TOML"):
        load_rules(bad_toml)
    good = tmp_path / "d.toml"
    good.write_text('[[rule]]\nname = "pf"\nkpi = "payment_failure_rate"\nkind = "threshold"\nop = ">"\n'
                    'value = 0.2\nwindow = "5m"\nfor = "10m"\n[notify]\nwebhook = "http://x/y"\n')
    rules = load_rules(good)
    assert rules.rules[0].for_s == 600 and rules.rules[0].window_min == 5
    assert rules.notify.webhooks == ("http://x/y",)


# ---------------------------------------------------------------- baseline and detector
def _history(weeks: int, per_hour: float, seed: int = 0, closed_day: int = 5) -> tuple[np.ndarray, float]:
    """Poisson orders 08-18 h on every day but ``closed_day`` (0 = Monday), starting on a Monday."""
    rng = np.random.default_rng(seed)
    start = 1_704_067_200.0  # 2024-01-01, a Monday, 00:00 UTC
    times = []
    for day in range(weeks * 7):
        if day % 7 == closed_day:
            continue
        for hour in range(8, 18):
            n = rng.poisson(per_hour)
            times.append(start + day * 86400 + hour * 3600 + rng.uniform(0, 3600, n))
    return np.sort(np.concatenate(times)), start


def test_baseline_expects_nothing_when_the_shop_is_always_closed_and_survives_a_holiday() -> None:
    times, start = _history(12, 8.0)
    # A holiday: one Wednesday without orders must not drag that hour's expectation down much.
    holiday = (times >= start + 16 * 86400) & (times < start + 17 * 86400)
    fitted = fit_baseline(times[~holiday], start=start, end=start + 12 * 7 * 86400, window_min=15)
    saturday_noon = start + 5 * 86400 + 12 * 3600
    wednesday_noon = start + 2 * 86400 + 12 * 3600
    assert fitted.expected(np.array([saturday_noon]))[0] == 0.0
    assert fitted.expected(np.array([wednesday_noon]))[0] == pytest.approx(2.0, rel=0.25)


def test_count_detector_sees_a_stop_at_low_counts_and_stays_quiet_on_normal_days() -> None:
    times, start = _history(12, 8.0, seed=1)
    end = start + 12 * 7 * 86400
    fitted = fit_baseline(times, start=start, end=end, window_min=15)
    test_times, _ = _history(1, 8.0, seed=99)
    starts = np.arange(start, start + 7 * 86400, 900.0)
    counts, _ = np.histogram(test_times, bins=np.append(starts, starts[-1] + 900))
    detector = CountDetector(fitted, alpha=1e-4)
    p, _span = detector.p_values(starts, counts.astype(float))
    assert (p < 1e-4).sum() == 0  # a normal week, Saturday closure included, raises nothing
    stopped = counts.astype(float).copy()
    onset = int((1 * 86400 + 10 * 3600) / 900)  # Tuesday 10:00
    stopped[onset:onset + 8] = 0
    p, _span = detector.p_values(starts, stopped)
    first = int(np.nonzero(p[onset:] < 1e-4)[0][0]) + 1
    limit = poisson_stop_delay(fitted.expected(starts[onset:onset + 16]), 1e-4 / 5)
    assert limit is not None and first <= 2 * limit  # within a factor of the exact Poisson limit
    assert first * 15 <= 120


# ---------------------------------------------------------------- landing through the monitor
def test_submit_lands_once_and_a_restart_lands_the_spool(tmp_path: Path) -> None:
    config = MonitorConfig(land_every_s=3600)  # nothing lands on its own: the spool must carry it
    monitor = Monitor(tmp_path, config=config).start()
    now = time.time()
    receipt = monitor.submit([ev(i, ts=now) for i in range(300)] + [{"event_id": "z", "type": "?", "ts": now}])
    assert (receipt.accepted, receipt.quarantined, receipt.durable) == (300, 1, True)
    again = monitor.submit([ev(i, ts=now) for i in range(250, 350)])
    assert (again.accepted, again.duplicates) == (50, 50)
    assert landed_events(Lake(tmp_path)).num_rows == 0
    # Stop without landing, as a crash would: threads stop, spool stays.
    monitor._stop.set()
    for t in monitor._threads:
        t.join(5)
    monitor._spool.close()  # type: ignore[union-attr]
    reopened = Monitor(tmp_path, config=config).start()
    table = landed_events(Lake(tmp_path))
    ids = table["event_id"].to_pylist()
    assert len(ids) == 350 and len(set(ids)) == 350
    assert landed_spool_position(Lake(tmp_path)) == reopened._spool.position()  # type: ignore[union-attr]
    quarantine = [pq.read_table(p) for p, _ in Lake(tmp_path).files("quarantine", "live_events")]
    assert sum(q.num_rows for q in quarantine) == 1
    assert json.loads(json.dumps(reopened.snapshot(), default=str))["tiles"]["orders"]["value"] == 350.0
    reopened.close()
    # A third start finds nothing more to land.
    third = Monitor(tmp_path, config=config).start()
    assert landed_events(Lake(tmp_path)).num_rows == 350
    third.close()


def test_a_batch_over_the_limit_is_refused_whole(tmp_path: Path) -> None:
    from shopops.errors import ShopopsError

    with Monitor(tmp_path, config=MonitorConfig(max_batch=10)) as monitor:
        with pytest.raises(ShopopsError, match="at most 10 events"):
            monitor.submit([ev(i, ts=time.time()) for i in range(11)])
        assert monitor.counters["accepted"] == 0


def test_warehouse_takes_new_events_incrementally_without_a_rebuild(tmp_path: Path) -> None:
    from shopops import Shop
    from shopops.monitor import land_batch

    shop = Shop.open(tmp_path)
    with Monitor(tmp_path, config=MonitorConfig(land_every_s=3600)) as monitor:
        monitor.submit([ev(i, ts=time.time()) for i in range(50)])
        monitor.flush()
        assert shop.build().engine == "duckdb"
        monitor.submit([ev(i, ts=time.time()) for i in range(50, 80)])
        monitor.flush()
    # A repeat that reached the lake through another path must not double in the warehouse either.
    again = check(ev(3, ts=NOW))
    assert isinstance(again, Event)
    land_batch(Lake(tmp_path), [again], [], transport="kafka", duplicates=0, position={})
    result = shop.refresh()
    assert result.engine == "incremental" and result.tables == {"fact_live_event": 30}
    n, distinct = shop.reader.frame("SELECT count(*), count(DISTINCT event_id) FROM fact_live_event").iloc[0]
    assert (n, distinct) == (80, 80)
    assert shop.refresh().tables == {}  # nothing new: nothing to do
