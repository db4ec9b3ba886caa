"""Orders: ``shopops orders train``, ``triage``, ``queue``, ``review`` and ``rules check|test|fields``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from shopops._dates import parse_day
from shopops.cli._app import DataOpt, FormatOpt, app, console, emit, steps, write_frame
from shopops.shop import Shop

__all__ = ["orders_app", "rules_app"]

orders_app = typer.Typer(help="Order triage: scores, rules, decisions and the review queue.", no_args_is_help=True)
rules_app = typer.Typer(help="Check a rule file, or replay it on history before it goes live.", no_args_is_help=True)
orders_app.add_typer(rules_app, name="rules")
app.add_typer(orders_app, name="orders")

SinceOpt = Annotated[str | None, typer.Option(help="First order day YYYY-MM-DD (default: every order).")]
RulesOpt = Annotated[Path | None, typer.Option("--rules", help="TOML rule file (default: the shipped rules).")]


def _metrics(metrics: dict[str, object], title: str, fmt: str) -> None:
    emit(pd.DataFrame({"metric": list(metrics), "value": [str(v) for v in metrics.values()]}), fmt, title)


@orders_app.command("train")
def train(data: DataOpt = None, holdout_months: Annotated[int, typer.Option(help="Months kept out to measure.")] = 3,
          seed: int = 0, fmt: FormatOpt = "table") -> None:
    """Train the risk, late-delivery and delivery-date scores on a time split; prints holdout metrics."""
    with steps("orders train") as step:
        step("features, LightGBM, calibration, holdout")
        result = Shop.open(data).orders_train(holdout_months=holdout_months, seed=seed)
    _metrics(result.metrics, f"Holdout metrics ({result.model})", fmt)


@orders_app.command("triage")
def triage(data: DataOpt = None, since: SinceOpt = None, rules: RulesOpt = None,
           out: Annotated[Path | None, typer.Option(help="Write the decisions to this CSV/Parquet file.")] = None,
           fmt: FormatOpt = "table") -> None:
    """Decide every new order (approve, hold, cancel; expedite, split, notify) and store the decisions."""
    with steps("orders triage") as step:
        step("scores and rules")
        result = Shop.open(data).orders_triage(since=parse_day(since, "since") if since else None, rules=rules)
    emit(result.summary, fmt, "Decisions")
    _metrics(result.metrics, "Triage", fmt)
    if out is not None:
        write_frame(result.decisions, out)


@orders_app.command("staffing")
def staffing(data: DataOpt = None, weeks: Annotated[int, typer.Option(help="Weeks ahead (1-8).")] = 4,
             plot: Annotated[Path | None, typer.Option(help="Write the staffing chart to this PNG file.")] = None,
             fmt: FormatOpt = "table") -> None:
    """Forecast orders and messages, then pickers and packers per shift and agents per hour."""
    with steps("orders staffing") as step:
        step("forecast orders and messages")
        plan = Shop.open(data).orders_staffing(weeks=weeks)
    per_day = plan.shifts.pivot_table(index="day", columns="shift", values=["pickers", "packers"], aggfunc="sum")
    per_day.columns = [f"{role}_{shift}" for role, shift in per_day.columns]
    agents = plan.agents.assign(day=plan.agents.ts.dt.normalize()).groupby("day").agents.max().rename("agents_peak")
    table = plan.daily.groupby("day")[["orders", "orders_q90", "messages"]].sum().join(per_day).join(agents)
    emit(table.reset_index().round(1), fmt, f"Staffing, next {weeks} weeks")
    if plot is not None:
        from shopops.orders import plot_staffing

        console.print(f"plot: {plot_staffing(plan, plot)}")


@orders_app.command("queue")
def queue(data: DataOpt = None, limit: int = 50, fmt: FormatOpt = "table") -> None:
    """Held orders waiting for a person, oldest and riskiest first."""
    frame = Shop.open(data).orders_queue(limit)
    emit(frame[["order_id", "ordered_at", "reason", "rule", "risk", "late_risk", "reasons"]], fmt, "Review queue")


@orders_app.command("review")
def review(order_id: str, decision: Annotated[str, typer.Argument(help="approve or cancel")], data: DataOpt = None,
           user: Annotated[str, typer.Option(help="Who decides (kept with the decision).")] = "cli") -> None:
    """Approve or cancel a held order (the same review twice changes nothing; a different one is refused)."""
    row, changed = Shop.open(data).orders_review(order_id, decision, user)
    console.print(f"order {order_id}: {row['review_status']}" + ("" if changed else " (unchanged)"))


@rules_app.command("check")
def rules_check(file: Path) -> None:
    """Parse and check a rule file: syntax, fields, types, actions, rules that can never fire."""
    from shopops.orders import load_rules

    ruleset = load_rules(file)
    console.print(f"{file}: {len(ruleset.rules)} rules, default {ruleset.default}; fields used: "
                  f"{', '.join(ruleset.fields_used())}")


@rules_app.command("test")
def rules_test(file: Path, data: DataOpt = None, since: SinceOpt = None,
               hold_cost: Annotated[float, typer.Option(help="Cost of a person looking at one order.")] = 2.0,
               fmt: FormatOpt = "table") -> None:
    """Replay a rule file on history: what each rule would have done, caught and cost (nothing is stored)."""
    from shopops.orders import load_rules

    ruleset = load_rules(file)
    with steps("rules test") as step:
        step("replaying history")
        result = Shop.open(data).orders_replay(ruleset, since=parse_day(since, "since") if since else None,
                                               hold_cost=hold_cost)
    emit(result.rules, fmt, f"Rules of {file}")
    _metrics(result.metrics, "Replay", fmt)


@rules_app.command("fields")
def rules_fields(fmt: FormatOpt = "table") -> None:
    """The fields a rule can use."""
    from shopops.orders import FIELDS

    emit(pd.DataFrame([{"field": k, "type": t.name.lower(), "meaning": d} for k, (t, d) in FIELDS.items()]), fmt,
         "Rule fields")
