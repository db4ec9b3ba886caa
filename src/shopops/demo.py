"""The demo: simulate (or ingest real data), build, report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shopops.ingest.pipeline import IngestResult
from shopops.shop import Shop

__all__ = ["DemoOutcome", "run_demo"]


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
