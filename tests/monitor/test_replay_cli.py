"""Replay, incident injection and the CLI on the real Online Retail data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from shopops.cli import app
from shopops.monitor import inject_incidents, load_incidents, online_retail_events, replay_batches

RETAIL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
needs_retail = pytest.mark.skipif(not RETAIL.is_file(), reason="the shared Online Retail data is not here")


@pytest.fixture(scope="module")
def retail_events():
    return online_retail_events(RETAIL)


@needs_retail
def test_online_retail_events_and_injected_incidents(retail_events, tmp_path: Path) -> None:
    placed = retail_events[retail_events["type"] == "order_placed"]
    assert len(placed) > 20_000 and retail_events["event_id"].is_unique
    incidents = tmp_path / "incidents.toml"
    incidents.write_text('[[incident]]\nkind = "orders_drop"\nstart = "2011-10-04T10:00:00"\nhours = 2\ndrop = 1.0\n'
                         '[[incident]]\nkind = "payment_failures"\nstart = "2011-10-05T10:00:00"\nhours = 3\nrate = 0.5\n'
                         '[[incident]]\nkind = "stockout"\nstart = "2011-10-06T09:00:00"\nhours = 8\n')
    out = inject_incidents(retail_events, load_incidents(incidents), seed=1)
    t0 = load_incidents(incidents)[0].start
    window = (out["ts"] >= t0) & (out["ts"] < t0 + 7200) & (out["type"] == "order_placed")
    before = (retail_events["ts"] >= t0) & (retail_events["ts"] < t0 + 7200) & (retail_events["type"] == "order_placed")
    assert before.sum() > 5 and window.sum() == 0
    assert (out["type"] == "payment_failed").sum() > 0
    assert ((out["type"] == "stock_changed") & (out["quantity"] == 0)).sum() == 1
    again = inject_incidents(retail_events, load_incidents(incidents), seed=1)
    assert again["event_id"].tolist() == out["event_id"].tolist()  # seeded


def test_bad_incident_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "i.toml"
    bad.write_text('[[incident]]\nkind = "meteor"\nstart = "2011-01-01"\n')
    from shopops.errors import ShopopsError

    with pytest.raises(ShopopsError, match="kind must be one of"):
        load_incidents(bad)


@needs_retail
def test_replay_paces_history_and_sends_the_clock_through_gaps(retail_events) -> None:
    day = retail_events[(retail_events["ts"] >= 1_291_190_400) & (retail_events["ts"] < 1_291_276_800)]  # 2010-12-01
    batches = list(replay_batches(day, speed=1e9, batch=50, sleep=False))
    sent = [e for events, _clock in batches for e in events]
    assert len(sent) == len(day)
    clocks = [clock for _events, clock in batches]
    assert clocks == sorted(clocks) and all(len(events) <= 50 for events, _c in batches)
    empty = [clock for events, clock in batches if not events]
    assert empty, "ticks without events still carry the clock, so windows close"


@needs_retail
def test_cli_baseline_and_evaluate_on_online_retail(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["monitor", "baseline", "--data", str(tmp_path), "--source", "online-retail", "--file",
                            str(RETAIL), "--tz", "Europe/London", "--until", "2011-06-01"])
    assert r.exit_code == 0, r.output
    saved = json.loads((tmp_path / "monitor" / "baselines.json").read_text())
    orders = np.array(saved["orders"]["mean"])
    assert orders[5 * 24 + 12] == 0.0  # Saturday noon: Online Retail never trades on Saturdays
    assert orders[1 * 24 + 12] > 1.0  # Tuesday noon: a busy hour
    r = runner.invoke(app, ["monitor", "evaluate", "--data", str(tmp_path), "--file", str(RETAIL), "--seeds", "1",
                            "--incidents", "8", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    model = next(row for row in rows if row["detector"] == "count model" and row["scenario"] == "stop 2h")
    assert model["recall_detectable"] >= 0.8 and model["false_per_day"] <= 0.2


def test_cli_errors_are_clear(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["monitor", "replay", "--data", str(tmp_path), "--source", "online-retail",
                            "--url", "http://127.0.0.1:1"])
    assert r.exit_code == 2 and "needs --file" in r.output
    r = runner.invoke(app, ["monitor", "replay", "--data", str(tmp_path), "--source", "simulated"])
    assert r.exit_code == 2 and "one of --url" in r.output
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nname = "x"\nkpi = "orders"\nwindow = "7m"\n')
    r = runner.invoke(app, ["monitor", "consume", "--data", str(tmp_path), "--bootstrap", "127.0.0.1:1", "--topic",
                            "t", "--rules", str(rules)])
    assert r.exit_code == 2 and "window must be 1m, 5m, 15m or 60m" in r.output
    r = runner.invoke(app, ["monitor", "alerts", "--data", str(tmp_path), "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.output) == []
