"""Inventory: ``shopops replenish`` (the purchase plan) and ``simulate-policy`` (the replay against min/max)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from shopops._dates import parse_day
from shopops.cli._app import DataOpt, app, console, emit, steps, write_frame
from shopops.shop import Shop

__all__ = ["replenish", "simulate_policy_cmd"]


@app.command()
def replenish(
    data: DataOpt = None,
    service_level: Annotated[float | None, typer.Option(help="Target fill rate of every product (default: by "
                                                             "ABC class, A 0.97, B 0.95, C 0.90).")] = None,
    budget: Annotated[float | None, typer.Option(help="Spend at most this much now.")] = None,
    review_days: Annotated[int | None, typer.Option(help="Days between two orders of a product.")] = None,
    policy: Annotated[str, typer.Option(help="rs (default), ss, classic or newsvendor.")] = "rs",
    as_of: Annotated[str | None, typer.Option(help="Plan as on this day (YYYY-MM-DD); default: the last "
                                                   "day of sales.")] = None,
    out: Annotated[Path, typer.Option(help="Plan file (.csv or .parquet); purchase orders and alerts are "
                                           "written beside it.")] = Path("plan.csv"),
    demand_model: Annotated[str, typer.Option(help="bootstrap (default) or paths (the demand forecaster's "
                                                   "sample paths).")] = "bootstrap",
) -> None:
    """A purchase plan: what to order today, from whom, how much, with reorder points and alerts."""
    day = parse_day(as_of, "--as-of")  # named as the user typed it, before any work is done
    with steps("replenish") as step:
        step("planning")
        plan = Shop.open(data).replenish(service_level=service_level, budget=budget, review_days=review_days,
                                         policy=policy, as_of=day, demand_model=demand_model)
    write_frame(plan.lines, out)
    po_path = write_frame(plan.purchase_orders, out.with_name(f"{out.stem}_purchase_orders{out.suffix}"))
    alert_path = write_frame(plan.alerts, out.with_name(f"{out.stem}_alerts{out.suffix}"))
    buy = plan.lines[plan.lines["order_qty"] > 0]
    console.print(f"[bold green]plan[/] {len(buy):,} of {len(plan.lines):,} products to order now, "
                  f"value {plan.total_value:,.2f} → {out}")
    emit(plan.purchase_orders, "table", "Purchase orders")
    show = buy.sort_values("order_value", ascending=False).head(10)
    emit(show[["product_id", "supplier_id", "order_qty", "order_value", "order_up_to", "on_hand",
               "expected_fill_rate", "expected_arrival"]], "table", "Largest order lines")
    if not plan.alerts.empty:
        summary = plan.alerts.groupby("alert").agg(products=("product_id", "nunique"), value=("value", "sum"))
        emit(summary.reset_index(), "table", f"Alerts → {alert_path}")
    for message in plan.messages:
        console.print(f"[yellow]{message}[/]")
    console.print(f"purchase orders: {po_path}")


@app.command("simulate-policy")
def simulate_policy_cmd(
    data: DataOpt = None,
    service_level: Annotated[float, typer.Option(help="Fill rate at which the policies are compared.")] = 0.95,
    history_days: Annotated[int, typer.Option(help="Days at the start used only as history.")] = 91,
    lead_time: Annotated[float | None, typer.Option(help="Assume this mean lead time (days) for all "
                                                         "products.")] = None,
    lead_time_sd: Annotated[float | None, typer.Option(help="Assume this lead-time deviation (days).")] = None,
    backorders: Annotated[bool, typer.Option(help="Unserved demand waits for stock instead of being "
                                                  "lost.")] = False,
    plot: Annotated[Path | None, typer.Option(help="PNG of the trade-off curves.")] = None,
    out: Annotated[Path | None, typer.Option(help="Every replayed point (.csv or .parquet).")] = None,
) -> None:
    """Replay history day by day: our policy against the best-tuned static min/max rule."""
    with steps("simulate-policy") as step:
        comparison = Shop.open(data).simulate_policy(target_fill=service_level, history_days=history_days,
                                                     lead_time_days=lead_time, lead_time_sd_days=lead_time_sd,
                                                     backorders=backorders, on_step=step)
    if out is not None:
        write_frame(comparison.points, out)
    if plot is not None:
        comparison.plot(plot, "fill rate vs stock")
    emit(comparison.summary(), "table", f"At {service_level:.0%} fill rate")
    for saving, peer in ((comparison.saving_vs_static, "the static min/max rule of ERPs, tuned per class"),
                         (comparison.saving, "the best-tuned min/max, also refreshed monthly")):
        if np.isfinite(saving):
            console.print(f"[bold]shopops needs {saving:.1%} less average stock value[/] than {peer}")
        else:
            console.print(f"[yellow]{peer}: one of the policies does not reach this fill rate in the replay[/]")
    if plot is not None:
        console.print(f"plot: {plot}")
