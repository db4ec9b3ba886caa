"""``shopops demo``: simulate (or ingest real data), build, print the KPIs, write the HTML report, serve."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from shopops.cli._app import DataOpt, app, console, emit, serve_dashboard, steps
from shopops.cli.data import print_ingest
from shopops.ingest.pipeline import IngestResult
from shopops.shop import Shop

__all__ = ["DemoOutcome", "demo", "run_demo"]


@dataclass
class DemoOutcome:
    """What the demo produced."""

    shop: Shop
    ingests: list[IngestResult]
    report: Path
    seconds: float


def run_demo(
    shop: Shop,
    *,
    real: Path | None = None,
    lines: int | None = None,
    seed: int = 0,
    on_step: Callable[[str], None] | None = None,
) -> DemoOutcome:
    """Simulate a shop (or ingest ``real`` data), build the warehouse and write the HTML report."""
    from shopops.report import write_report

    started = time.perf_counter()
    step = on_step or (lambda _m: None)
    if real is not None:
        ingests = [shop.ingest(real, on_step=step)]
    else:
        ingests = shop.simulate(seed=seed, lines=lines, on_step=step).ingests
    step("report")
    report = write_report(shop.data_dir)
    return DemoOutcome(shop, ingests, report, time.perf_counter() - started)


@app.command()
def demo(
    data: DataOpt = None,
    real: Annotated[Path | None, typer.Option(help="Ingest this real dataset (e.g. Online Retail) instead "
                                                   "of simulating.")] = None,
    lines: Annotated[int | None, typer.Option(help="Sale lines to simulate.")] = None,
    seed: Annotated[int, typer.Option(help="Simulation seed.")] = 0,
    serve_: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the dashboard at the end.")] = True,
    port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8321,
) -> None:
    """End to end: simulate (or ingest real data), build, print the KPIs, write the HTML report, serve the dashboard."""
    with steps("demo") as step:
        outcome = run_demo(Shop.open(data), real=real, lines=lines, seed=seed, on_step=step)
    for result in outcome.ingests:
        print_ingest(result)
    shop = outcome.shop
    emit(shop.kpis("month")[["period_start", "gross_sales", "net_sales", "orders", "aov", "customers",
                            "new_customers", "repeat_rate", "cancellation_rate"]], "table", "KPIs by month")
    emit(shop.top_products(10), "table", "Top 10 products")
    console.print(f"[bold]report:[/] {outcome.report}")
    console.print(json.dumps({"data_dir": str(shop.data_dir), "seconds": round(outcome.seconds, 1)}))
    if serve_:
        serve_dashboard(shop, "127.0.0.1", port, demo_key=True)
