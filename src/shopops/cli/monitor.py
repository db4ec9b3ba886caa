"""Live monitoring: ``shopops monitor consume | replay | baseline | evaluate | alerts | status``."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from shopops.cli._app import DataOpt, FormatOpt, app, console, emit, err_console, steps
from shopops.errors import ShopopsError
from shopops.shop import Shop

__all__ = ["monitor_app"]

monitor_app = typer.Typer(no_args_is_help=True, help="Live monitoring: events from Kafka or HTTP, KPIs, alerts.")
app.add_typer(monitor_app, name="monitor")

RulesOpt = Annotated[Path | None, typer.Option("--rules", help="Alert rule file (TOML); built-in rules if unset.")]
ClockOpt = Annotated[str, typer.Option("--clock", help="wall (live) or replay (windows close on event time).")]
SourceOpt = Annotated[str, typer.Option("--source", help="simulated (this data directory's warehouse) or "
                                                         "online-retail (--file).")]
FileOpt = Annotated[Path | None, typer.Option("--file", help="The Online Retail Parquet file "
                                                             "(--source online-retail).")]
TzOpt = Annotated[str, typer.Option("--tz", help="The shop's time zone (hours of the week are local).")]


def _clock(value: str) -> str:
    if value not in ("wall", "replay"):
        raise ShopopsError(f"--clock must be wall or replay, not {value!r}")
    return value


@monitor_app.command("consume")
def consume_cmd(
    bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap servers, HOST:PORT[,HOST:PORT].")],
    topic: Annotated[list[str], typer.Option(help="Topic to read (repeat for several).")],
    group: Annotated[str, typer.Option(help="Consumer group; its offsets land with the events.")] = "shopops-monitor",
    data: DataOpt = None,
    rules: RulesOpt = None,
    clock: ClockOpt = "wall",
    idle_exit: Annotated[float | None, typer.Option(help="Stop after this many seconds without a message.")] = None,
    max_messages: Annotated[int | None, typer.Option(help="Stop after this many messages.")] = None,
    batch: Annotated[int, typer.Option(help="Most messages in one landed micro-batch.")] = 20_000,
    warehouse_every: Annotated[float | None, typer.Option(help="Append new events to the warehouse every this many "
                                                               "seconds (incremental, no rebuild).")] = None,
) -> None:
    """Read events from Kafka into the lake: validated, de-duplicated, windowed, offsets landed with each batch."""
    from shopops.monitor import Monitor, MonitorConfig, consume, load_rules

    shop = Shop.open(data)
    monitor = Monitor(shop.data_dir, config=MonitorConfig(clock=_clock(clock)), rules=load_rules(rules),  # type: ignore[arg-type]
                      transport="kafka").start()
    stop = threading.Event()

    def on_status(name: str, detail: str) -> None:
        err_console.print(f"[bold]{name}[/]: {detail}")

    last = [time.monotonic()]

    refreshed = [time.monotonic()]

    def on_batch(stats: object) -> None:
        if warehouse_every is not None and time.monotonic() - refreshed[0] >= warehouse_every:
            refreshed[0] = time.monotonic()
            result = shop.refresh()
            err_console.print(f"warehouse {result.engine} in {result.seconds:.1f} s")
        if time.monotonic() - last[0] > 2:
            last[0] = time.monotonic()
            err_console.print(f"landed {getattr(stats, 'landed', 0):,} events in {getattr(stats, 'batches', 0):,} "
                              f"batches ({getattr(stats, 'quarantined', 0):,} quarantined, "
                              f"{getattr(stats, 'duplicates', 0):,} repeats dropped)")

    try:
        stats = consume(monitor, bootstrap=bootstrap, topics=list(topic), group=group, max_batch=batch,
                        idle_exit_s=idle_exit, max_messages=max_messages, stop=stop, on_status=on_status,
                        on_batch=on_batch)
    except KeyboardInterrupt:
        stop.set()
        raise typer.Exit(130) from None
    finally:
        monitor.close()
    console.print(f"{stats.messages:,} messages: {stats.landed:,} events landed, {stats.quarantined:,} quarantined, "
                  f"{stats.duplicates:,} repeats dropped, in {stats.batches:,} batches; offsets {stats.offsets}")
    if not stats.joined:
        # Exit non-zero: a run that never got its partitions read nothing, and a script must not take it for done.
        err_console.print(f"[red]no partitions of {', '.join(topic)} were assigned to group {group}: nothing was read "
                          f"({'; '.join(stats.problems) or 'broker unreachable'})[/]")
        raise typer.Exit(1)


def _history(source: str, shop: Shop, file: Path | None) -> pd.DataFrame:
    from shopops.monitor import online_retail_events, warehouse_events

    if source == "online-retail":
        if file is None:
            raise ShopopsError("--source online-retail needs --file PATH/online_retail.parquet")
        return online_retail_events(file)
    if source == "simulated":
        return warehouse_events(shop.reader)
    raise ShopopsError(f"--source must be simulated or online-retail, not {source!r}")


def _speed(text: str) -> float:
    try:
        value = float(text.lower().removesuffix("x"))
    except ValueError:
        raise ShopopsError(f"--speed {text!r}: write a factor such as 600x") from None
    if value <= 0:
        raise ShopopsError("--speed must be above 0")
    return value


@monitor_app.command("replay")
def replay_cmd(
    source: SourceOpt,
    speed: Annotated[str, typer.Option(help="How much faster than history, e.g. 600x.")] = "600x",
    inject: Annotated[Path | None, typer.Option(help="Incidents to inject (TOML).")] = None,
    url: Annotated[str | None, typer.Option(help="Send over HTTP to this service, e.g. http://127.0.0.1:8321.")]
    = None,
    key: Annotated[str | None, typer.Option(help="API key for --url (role ingest, operator or admin).",
                                            envvar="SHOPOPS_API_KEY")] = None,
    bootstrap: Annotated[str | None, typer.Option(help="Send to Kafka instead (HOST:PORT).")] = None,
    topic: Annotated[str, typer.Option(help="Kafka topic for --bootstrap.")] = "shop-events",
    file: FileOpt = None,
    start: Annotated[str | None, typer.Option(help="First moment replayed (ISO 8601).")] = None,
    end: Annotated[str | None, typer.Option(help="Moment the replay stops (ISO 8601).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the incident injection.")] = 0,
    data: DataOpt = None,
) -> None:
    """Stream history as events over HTTP or Kafka, paced at --speed, with --inject incidents."""
    from shopops.monitor import HttpSender, inject_incidents, load_incidents, produce, replay_batches

    if (url is None) == (bootstrap is None):
        raise ShopopsError("give one of --url (HTTP) or --bootstrap (Kafka)")
    shop = Shop.open(data)
    with steps("replay") as step:
        step("reading history")
        events = _history(source, shop, file)
        if inject is not None:
            events = inject_incidents(events, load_incidents(inject), seed=seed)
    t0 = pd.Timestamp(start, tz="UTC").timestamp() if start else None
    t1 = pd.Timestamp(end, tz="UTC").timestamp() if end else None
    batches = replay_batches(events, speed=_speed(speed), start=t0, end=t1)
    sent = 0
    began = time.monotonic()
    if url is not None:
        if not key:
            raise ShopopsError("--url needs --key (or SHOPOPS_API_KEY): create one with "
                               "`shopops keys create --role ingest --name replay`")
        sender = HttpSender(url, key)
        try:
            for chunk, clock in batches:
                sender(chunk, clock)
                sent += len(chunk)
                if sent and sent % 50_000 < len(chunk):
                    err_console.print(f"{sent:,} events sent ({sent / (time.monotonic() - began):,.0f}/s)")
        finally:
            sender.close()
    else:
        assert bootstrap is not None
        sent = produce(bootstrap, topic, (chunk for chunk, _clock in batches if chunk))
    console.print(f"replayed {sent:,} events in {time.monotonic() - began:.1f} s")


@monitor_app.command("baseline")
def baseline_cmd(
    source: SourceOpt = "simulated",
    file: FileOpt = None,
    tz: TzOpt = "UTC",
    until: Annotated[str | None, typer.Option(help="Use history before this moment only (ISO 8601).")] = None,
    data: DataOpt = None,
) -> None:
    """Fit the hour-of-week baselines the anomaly rules use, from order history."""
    from shopops.monitor import baselines_path, fit_baseline

    shop = Shop.open(data)
    events = _history(source, shop, file)
    out = {}
    for kpi, kind in (("orders", "order_placed"), ("cancellations", "order_cancelled"),
                      ("page_views", "page_view")):
        times = events.loc[events["type"] == kind, "ts"].to_numpy(dtype="float64")
        if until:
            times = times[times < pd.Timestamp(until, tz="UTC").timestamp()]
        if len(times) < 100:
            continue
        fitted = fit_baseline(times, start=float(times.min()), end=float(times.max()), kpi=kpi, tz=tz)
        out[kpi] = fitted.to_json()
        console.print(f"{kpi}: {fitted.weeks} weeks, {np.sum(fitted.mean) * 4:,.0f} a week expected, "
                      f"dispersion r={fitted.size:.3g}")
    if not out:
        raise ShopopsError("not enough history to fit a baseline (100 events of a kind at least)")
    path = baselines_path(shop.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out), encoding="utf-8")
    console.print(f"wrote {path}")


@monitor_app.command("evaluate")
def evaluate_cmd(
    source: SourceOpt = "online-retail",
    file: FileOpt = None,
    tz: TzOpt = "Europe/London",
    seeds: Annotated[int, typer.Option(help="Replays (seeds) per scenario.")] = 4,
    incidents: Annotated[int, typer.Option(help="Incidents per scenario.")] = 40,
    data: DataOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Score the detectors on injected order drops (tuned on the first half of history, scored on the second)."""
    from shopops.monitor import evaluate_detection

    shop = Shop.open(data)
    with steps("detection") as step:
        step("reading history")
        events = _history(source, shop, file)
        step("injecting incidents and scoring")
        times = events.loc[events["type"] == "order_placed", "ts"].to_numpy(dtype="float64")
        result = evaluate_detection(times, tz=tz, seeds=seeds, incidents_per_scenario=incidents, label=source)
    emit(result.scores, fmt, "Detection (second half of history)")


@monitor_app.command("refresh")
def refresh_cmd(data: DataOpt = None) -> None:
    """Bring the warehouse up to the lake: new live events are appended without a rebuild (run it every few minutes).

    Alerts that changed are copied into the lake first (the warehouse's ``fact_alert``); when there are some,
    the warehouse is built in full.
    """
    from shopops.lake import Lake
    from shopops.monitor import AlertBook, copy_alerts
    from shopops.opstore import OperationalStore

    shop = Shop.open(data)
    copied = copy_alerts(Lake(shop.data_dir), AlertBook(OperationalStore.for_data_dir(shop.data_dir)).store)
    if copied:
        console.print(f"{copied:,} alert states copied into the lake")
    result = shop.refresh()
    added = ", ".join(f"{n:,} rows added to {t}" for t, n in result.tables.items()) if result.engine == "incremental" \
        else f"full build ({len(result.tables)} tables)"
    console.print(f"warehouse {result.engine}: {added or 'nothing new'} in {result.seconds:.2f} s")


@monitor_app.command("compact")
def compact_cmd(
    small_rows: Annotated[int, typer.Option(help="Batches with fewer rows than this are merged.")] = 50_000,
    min_batches: Annotated[int, typer.Option(help="Do nothing until this many small batches wait.")] = 8,
    data: DataOpt = None,
) -> None:
    """Merge small landed event batches into large ones (crash-safe; stream positions are kept)."""
    from shopops.lake import Lake
    from shopops.monitor import compact_events

    done = compact_events(Lake(Shop.open(data).data_dir), small_rows=small_rows, min_batches=min_batches)
    if not done.merged_batches:
        console.print("nothing to compact")
        return
    console.print(f"{done.merged_batches:,} batches merged into {len(done.new_batches):,} "
                  f"({done.events:,} events, {done.quarantined:,} quarantined)")


@monitor_app.command("alerts")
def alerts_cmd(
    state: Annotated[str | None, typer.Option(help="firing, acknowledged, resolved or open.")] = None,
    data: DataOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """The alerts in the operational store, newest first."""
    from shopops.monitor import AlertBook
    from shopops.opstore import OperationalStore

    book = AlertBook(OperationalStore.for_data_dir(Shop.open(data).data_dir))
    frame = pd.DataFrame(book.alerts(state))
    cols = ["alert_id", "rule", "severity", "state", "condition_since", "fired_at", "summary"]
    emit(frame[cols] if not frame.empty else pd.DataFrame(columns=cols), fmt, "Alerts")


@monitor_app.command("status")
def status_cmd(data: DataOpt = None, fmt: FormatOpt = "table") -> None:
    """Consumers and their state (connected, broker unreachable, …) and the offsets landed."""
    from shopops.monitor import AlertBook
    from shopops.opstore import OperationalStore

    book = AlertBook(OperationalStore.for_data_dir(Shop.open(data).data_dir))
    emit(pd.DataFrame(book.status(), columns=["component", "status", "detail", "updated_at"]), fmt, "Monitor")
    emit(book.store.frame("SELECT * FROM monitor_offset ORDER BY 1, 2"), fmt, "Offsets landed")
