"""The demo and the simulated shop as a data source: generate, ingest, build, report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shopops.ingest.pipeline import IngestResult
from shopops.shop import Shop

__all__ = ["DemoOutcome", "SimulatedShop", "run_demo", "simulate_into"]

# Load order: dimensions before facts only matters for readability of the ingest log; the
# warehouse is built once at the end from whatever the lake holds.
_TABLE_ORDER = ("products", "suppliers", "customers", "orders", "order_lines", "stock", "purchase_orders",
                "ad_stats", "web_events", "messages", "demand_truth")


@dataclass
class SimulatedShop:
    """Where a simulated shop was written and what it holds."""

    out_dir: Path
    rows: dict[str, int]
    ingests: list[IngestResult] = field(default_factory=list)


@dataclass
class DemoOutcome:
    """What the demo produced."""

    shop: Shop
    ingests: list[IngestResult]
    report: Path
    seconds: float


def simulate_into(
    shop: Shop,
    *,
    seed: int = 0,
    lines: int | None = None,
    days: int = 730,
    products: int = 500,
    customers: int = 20_000,
    ingest: bool = True,
    on_step: Callable[[str], None] | None = None,
) -> SimulatedShop:
    """Simulate a shop into ``<data_dir>/sources/sim-<seed>`` and (by default) ingest and build it.

    The simulated files go through the same validated ingest as any shop's own data.
    """
    from shopops.simulate import SimulationConfig, simulate_shop

    step = on_step or (lambda _m: None)
    out_dir = shop.data_dir / "sources" / f"sim-{seed}"
    config = SimulationConfig(seed=seed, days=days, n_products=products, n_customers=customers,
                              target_order_lines=lines)
    step("generate")
    summary = simulate_shop(out_dir, config)
    result = SimulatedShop(out_dir, dict(summary.rows))
    if not ingest:
        return result
    for name in _TABLE_ORDER:
        for part in sorted((out_dir / name).glob("*.parquet")):
            step(f"ingest {name}/{part.name}")
            result.ingests.append(shop.ingest(part, adapter="canonical", table=name, build=False))
    step("build warehouse")
    shop.build()
    return result


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
        ingests = simulate_into(shop, seed=seed, lines=lines, on_step=step).ingests
    step("report")
    report = write_report(shop.data_dir)
    return DemoOutcome(shop, ingests, report, time.perf_counter() - started)
