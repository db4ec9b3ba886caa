"""Marketing: ``shopops marketing ctr train|evaluate``, ``uplift``, ``budget``, ``bandit`` and ``decisions``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from shopops.cli._app import DataOpt, FormatOpt, app, console, emit, steps, write_frame
from shopops.result import Result
from shopops.shop import Shop

__all__ = ["bandit", "budget", "ctr_evaluate", "ctr_train", "decisions", "uplift"]

marketing_app = typer.Typer(no_args_is_help=True, help="Click models, uplift targeting, budgets and bandits.")
ctr_app = typer.Typer(no_args_is_help=True, help="Click and conversion prediction on the impression log.")
marketing_app.add_typer(ctr_app, name="ctr")
app.add_typer(marketing_app, name="marketing")

TargetOpt = Annotated[str, typer.Option(help="What to predict: clicked or converted.")]


@ctr_app.command("evaluate")
def ctr_evaluate(data: DataOpt = None, target: TargetOpt = "clicked",
                 model: Annotated[list[str] | None, typer.Option(help="Only these models (repeat the option): "
                                                                      "hashed_logistic, lightgbm.")] = None,
                 seed: int = 0, fmt: FormatOpt = "table") -> None:
    """Fit hashed logistic regression and LightGBM on the earlier impressions, score them on the latest fifth."""
    with steps("ctr") as step:
        step("fit, calibrate and score the click models")
        result = Shop.open(data).marketing_ctr(target, seed, models=tuple(model) if model else None)
    emit(result.comparison, fmt, f"P({target}) on the latest impressions (time split)")
    emit(result.bidding.head(20), fmt, "Bidding guidance: expected value per impression")
    if fmt == "table":
        console.print(result.explain())


@ctr_app.command("train")
def ctr_train(data: DataOpt = None, target: TargetOpt = "clicked",
              model: Annotated[str, typer.Option(help="hashed_logistic or lightgbm.")] = "hashed_logistic",
              seed: int = 0) -> None:
    """Fit the click model on the whole impression log and save it beside the data (models/marketing/)."""
    import joblib

    from shopops.marketing import CtrModel, MarketingDataError, click_funnel

    shop = Shop.open(data)
    with steps("ctr") as step:
        step(f"fit {model} on every impression")
        log = shop.sql("SELECT * FROM fact_ad_impression ORDER BY ts")
        if log.empty:
            raise MarketingDataError("the shop has no impression log (ad_impressions is empty)")
        fitted = CtrModel(kind=model, seed=seed).fit(log, log[target].astype(int).to_numpy(),
                                                    clicked=click_funnel(log, target))
    out = shop.data_dir / "models" / "marketing" / f"ctr-{target}-{model}.joblib"
    out.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(fitted, out)
    console.print(f"trained {model} on {len(log):,} impressions (base rate {log[target].mean():.4f}): {out}")


def _close(result: Result, frame: pd.DataFrame, fmt: str, out: Path | None, notes: list[str]) -> None:
    """The explanation, the reasons and the stored decision's id (table format), and the file written."""
    if fmt == "table":
        console.print(result.explain())
        for note in notes:
            console.print(note)
        if "decision_id" in result.params:
            console.print(f"stored as decision {result.params['decision_id']}")
    if out is not None:
        write_frame(frame, out)


@marketing_app.command()
def uplift(
    data: DataOpt = None,
    campaign: Annotated[str | None, typer.Option(help="Campaign of the shop's campaign_contacts.")] = None,
    hillstrom: Annotated[Path | None, typer.Option(help="Use the Hillstrom e-mail experiment file instead.")] = None,
    treatment: Annotated[str | None, typer.Option(help="Treated arm to compare with the control.")] = None,
    outcome: Annotated[str, typer.Option(help="visited, converted or revenue.")] = "visited",
    method: Annotated[str, typer.Option(help="interaction, two_model or class_transformation.")] = "interaction",
    cost: Annotated[float, typer.Option(help="Cost per contact.")] = 0.0,
    value: Annotated[float, typer.Option(help="Value of one incremental response.")] = 1.0,
    top: Annotated[float | None, typer.Option(help="Share to target (default: the most profitable).")] = None,
    seed: int = 0,
    save: Annotated[bool, typer.Option(help="Store the targeting list as a decision.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the targeting list to this CSV/Parquet file.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Whom to contact, by the estimated incremental effect, with Qini, uplift@k and profit on a holdout."""
    shop = Shop.open(data)
    with steps("uplift") as step:
        step("fit and score the uplift models")
        if hillstrom is not None:
            from shopops.marketing import HILLSTROM_FEATURES, load_hillstrom, prepare_experiment, target_uplift

            experiment = prepare_experiment(load_hillstrom(hillstrom), outcome=outcome, features=HILLSTROM_FEATURES,
                                            treatment=treatment or "womens_email")
            result = target_uplift(experiment, method=method, seed=seed, cost_per_contact=cost,
                                   value_per_response=value, top_share=top)
            if save:
                from shopops.marketing import save_targeting

                result.params["decision_id"] = save_targeting(shop.data_dir, result.targets, model=result.model,
                                                              params=result.params, metrics=result.metrics)
        else:
            result = shop.marketing_uplift(campaign_id=campaign, outcome=outcome, treatment=treatment, method=method,
                                           cost_per_contact=cost, value_per_response=value, top_share=top,
                                           seed=seed, save=save, created_by="cli")
    emit(result.comparison, fmt, "Uplift models on the holdout")
    emit(result.profit[result.profit["top_share"].isin([0.1, 0.2, 0.3, 0.5, 1.0])], fmt,
         "Incremental profit of targeting the top share")
    emit(result.targets.head(20), fmt, "Customers to target")
    _close(result, result.targets, fmt, out, [])


@marketing_app.command()
def budget(
    total: Annotated[float, typer.Option(help="Budget to allocate over the horizon.")],
    data: DataOpt = None,
    days: Annotated[int, typer.Option(help="Horizon of the budget, in days.")] = 30,
    bounds: Annotated[Path | None, typer.Option(help="JSON {bounds, fixed, constraints} or CSV channel,min,max,fixed."
                                                )] = None,
    objective: Annotated[str, typer.Option(help="conversions or profit.")] = "conversions",
    seed: int = 0,
    save: Annotated[bool, typer.Option(help="Store the allocation as a decision.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the allocation to this file.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Allocate a total budget across channels by their fitted response curves (adstock + saturation)."""
    from shopops.marketing import read_budget_rules

    rules = read_budget_rules(bounds) if bounds is not None else {"bounds": None, "fixed": None, "constraints": []}
    with steps("budget") as step:
        step("fit the response curves and allocate")
        result = Shop.open(data).marketing_budget(total, days=days, bounds=rules["bounds"], fixed=rules["fixed"],
                                                  constraints=rules["constraints"], objective=objective, seed=seed,
                                                  save=save, created_by="cli")
    shown = result.allocation
    if fmt == "table":
        shown = shown[["channel", "current_spend", "recommended_spend", "expected_conversions", "conversions_low",
                       "conversions_high", "marginal_conversions_per_1000"]]
    emit(shown, fmt, f"Recommended allocation of {total:,.2f} over {days} days")
    _close(result, result.allocation, fmt, out, [f"{r.channel}: {r.why}" for r in result.allocation.itertuples()])


@marketing_app.command()
def bandit(
    data: DataOpt = None,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's creatives.")] = None,
    arm: Annotated[str, typer.Option(help="creative_id or campaign_id.")] = "creative_id",
    target: TargetOpt = "clicked",
    seed: int = 0,
    fmt: FormatOpt = "table",
) -> None:
    """Thompson sampling over the impression log, day by day: tomorrow's share per arm and the arms stopped."""
    with steps("bandit") as step:
        step("replay the log through Thompson sampling")
        result = Shop.open(data).marketing_bandit(campaign_id=campaign, arm=arm, target=target, seed=seed)
    emit(result.arms, fmt, f"Next day's share per {arm} (P(best) under Thompson sampling)")


@marketing_app.command()
def decisions(data: DataOpt = None, kind: Annotated[str | None, typer.Option(help="targeting or budget.")] = None,
              fmt: FormatOpt = "table") -> None:
    """The stored targeting lists and budgets, newest first."""
    emit(Shop.open(data).marketing_decisions(kind), fmt, "Marketing decisions")
