"""Run the whole simulation: build the world, then generate and write it month by month."""

from __future__ import annotations

import datetime
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from rich.progress import Progress

from shopops.simulate._build import build_world
from shopops.simulate._calendar import DAY_US
from shopops.simulate._catalogue import products_table
from shopops.simulate._config import SimulationConfig, SimulationSummary
from shopops.simulate._fulfilment_tables import fulfilment_tables, with_duplicates
from shopops.simulate._marketing_shop import MARKETING_TABLES, shop_marketing, table_of
from shopops.simulate._messages import messages_table
from shopops.simulate._orders import build_orders
from shopops.simulate._seeds import stream
from shopops.simulate._support_faq import kb_table
from shopops.simulate._support_log import write_support_log
from shopops.simulate._tables import (
    customers_table,
    daily_tables,
    inventory_params_table,
    order_lines_table,
    orders_table,
    purchase_orders_table,
    suppliers_table,
)
from shopops.simulate._web import EVENTS_PER_SESSION, web_events_table
from shopops.simulate._world import World
from shopops.simulate._writer import TableSink

__all__ = ["simulate_shop"]

_FIRST_ORDER_NUMBER = 100_001
_CUSTOMERS_PER_PART = 500_000
_WEB_DAYS_PER_PART = 7
_DEFAULT_CONFIG = SimulationConfig()


def simulate_shop(out_dir: Path, config: SimulationConfig = _DEFAULT_CONFIG, *,
                  progress: bool = False) -> SimulationSummary:
    """Simulate an online shop and write every canonical table as Parquet parts.

    Parameters
    ----------
    out_dir : Path
        Output folder: ``out_dir/<table>/part-00000.parquet`` ... for every table of
        ``shopops.schema.TABLES``; existing parts there are replaced.
    config : SimulationConfig
        Size and behaviour of the shop; the same config gives the same data.
    progress : bool
        Show a progress bar (one step per simulated month).

    Returns
    -------
    SimulationSummary
        Rows written per table and the run time.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    world = build_world(config)
    chunks = _months(config.start, config.days)
    events = world.events
    bounds = np.searchsorted(events.time_us, [(world.first_day + first) * DAY_US for first, _ in chunks]
                             + [world.end_us])
    with _progress_bar(progress, len(chunks) + 1) as advance, \
            TableSink(out_dir, config.compression, config.rows_per_file) as sink:
        sink.write("products", products_table(world.catalogue, world.suppliers, world.first_day,
                                              config.shipping_fee))
        sink.write("suppliers", suppliers_table(world.suppliers))
        sink.write("inventory_params", inventory_params_table(world.catalogue, config.seed))
        sink.write("purchase_orders", purchase_orders_table(world, world.stock.purchase_orders))
        sink.write("kb_entries", kb_table(config))
        web_from = config.days - min(config.web_event_days, config.days)
        web_sample = _web_sample_rate(world, web_from)
        marketing = shop_marketing(world)
        for name in MARKETING_TABLES:
            sink.write(name, table_of(name, marketing))
        event_counter = session_counter = message_counter = 0
        for k, (first, last) in enumerate(chunks):
            rng = stream(config.seed, "orders", k)
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            batch = build_orders(world, first, last, events.time_us[lo:hi], events.customer[lo:hi],
                                 _FIRST_ORDER_NUMBER + lo, rng)
            documents = with_duplicates(batch, stream(config.seed, "duplicates", k))
            sink.write("order_lines", order_lines_table(world, documents))
            sink.write("orders", orders_table(documents))
            for name, table in zip(("order_fulfilment", "order_truth"), fulfilment_tables(
                    documents, world.end_us, stream(config.seed, "lifecycle", k)), strict=True):
                sink.write(name, table)
            stock, demand = daily_tables(world, first, last)
            sink.write("stock", stock)
            sink.write("demand_truth", demand)
            sink.write("ad_stats", table_of("ad_stats", marketing, first, last))
            messages = messages_table(world, batch, message_counter, stream(config.seed, "messages", k))
            message_counter += messages.num_rows
            sink.write("messages", messages)
            # Web events come in weeks: they are many, and each event needs a dozen temporary arrays.
            for week, day in enumerate(range(max(first, web_from), last, _WEB_DAYS_PER_PART)):
                web, sessions = web_events_table(world, documents, day, min(day + _WEB_DAYS_PER_PART, last), web_sample,
                                                 event_counter, session_counter, stream(config.seed, "web", k, week))
                event_counter += web.num_rows
                session_counter += sessions
                sink.write("web_events", web)
            advance()
        for lo_c in range(0, len(world.customers), _CUSTOMERS_PER_PART):
            sink.write("customers", customers_table(world.customers, lo_c,
                                                    min(lo_c + _CUSTOMERS_PER_PART, len(world.customers))))
        advance()
    write_support_log(out_dir, config.seed)
    return SimulationSummary(out_dir=out_dir, rows=dict(sink.rows), seconds=time.perf_counter() - started)


@contextmanager
def _progress_bar(show: bool, total: int) -> Iterator[Callable[[], None]]:
    if not show:
        yield lambda: None
        return
    with Progress(transient=False) as bar:
        task = bar.add_task("simulating shop", total=total)
        yield lambda: bar.advance(task)


def _months(start: datetime.date, days: int) -> list[tuple[int, int]]:
    """Day ranges (first, last) of the calendar months within the period."""
    cuts = [0]
    day = start
    while True:
        nxt = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        offset = (nxt - start).days
        if offset >= days:
            break
        cuts.append(offset)
        day = nxt
    cuts.append(days)
    return list(itertools.pairwise(cuts))


def _web_sample_rate(world: World, web_from: int) -> float:
    """Share of web sessions recorded so that the web events stay under ``max_web_events``."""
    config = world.config
    orders = np.count_nonzero(world.events.time_us >= (world.first_day + web_from) * DAY_US)
    expected_events = orders / config.web_conversion_rate * EVENTS_PER_SESSION
    if expected_events <= config.max_web_events:
        return 1.0
    return config.max_web_events / expected_events


