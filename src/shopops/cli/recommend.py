"""Recommendations: ``shopops recommend`` (one customer, all, or a basket) and ``recommend evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopops.cli._app import DataOpt, FormatOpt, app, console, emit, steps, write_frame
from shopops.errors import ShopopsError
from shopops.shop import Shop

__all__ = ["recommend", "recommend_app", "recommend_evaluate"]

recommend_app = typer.Typer(help="Product recommendations; `shopops recommend evaluate` for the offline test.")
app.add_typer(recommend_app, name="recommend")


@recommend_app.callback(invoke_without_command=True)
def recommend(
    ctx: typer.Context,
    data: DataOpt = None,
    customer: Annotated[str | None, typer.Option(help="Customer id as stored in the warehouse (see "
                                                       "`shopops segment --out`).")] = None,
    k: Annotated[int, typer.Option("-k", help="How many products.")] = 10,
    all_customers: Annotated[bool, typer.Option("--all", help="Every customer (batch mode; needs --out).")] = False,
    basket: Annotated[str | None, typer.Option(help="Comma-separated product ids: frequently bought together.")]
    = None,
    model: Annotated[str, typer.Option(help="als, bpr, item-item or popularity.")] = "als",
    exclude_bought: Annotated[bool, typer.Option(help="Leave out products the customer already bought.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the recommendations to this CSV/Parquet file.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Recommend products to one customer (--customer), to all (--all --out FILE) or for a basket (--basket)."""
    if ctx.invoked_subcommand is not None:
        return
    chosen = sum(x for x in (customer is not None, all_customers, basket is not None))
    if chosen != 1:
        raise ShopopsError("recommend: give exactly one of --customer ID, --all (with --out FILE) or "
                           "--basket IDS; or run `shopops recommend evaluate`")
    shop = Shop.open(data)
    with steps("recommend") as step:
        step(f"fitting {model}")
        if basket is not None:
            recs = shop.recommend_basket([p.strip() for p in basket.split(",") if p.strip()], k).frame
            title = f"Frequently bought with {basket}"
        elif all_customers:
            if out is None:
                raise ShopopsError("recommend --all writes one row per customer and product: add --out FILE")
            recs = shop.recommend_all(k, model, exclude_bought).frame
            title = "Recommendations"
        else:
            recs = shop.recommend(str(customer), k, model, exclude_bought).frame
            title = f"Recommendations for {customer}"
    if out is not None:
        write_frame(recs, out)
    else:
        emit(recs, fmt, title)
    if fmt == "table" and basket is None:
        console.print(f"model: {model} on all purchases of known customers; its offline accuracy against "
                      "the popularity baseline: `shopops recommend evaluate`")


@recommend_app.command("evaluate")
def recommend_evaluate(
    data: DataOpt = None,
    test_days: Annotated[int, typer.Option(help="The last N days are the test period.")] = 30,
    k: Annotated[int, typer.Option("-k", help="Cut-off of the ranking metrics.")] = 10,
    models: Annotated[str, typer.Option(help="Comma-separated: popularity, item-item, als, bpr.")]
    = "popularity,item-item,als",
    fmt: FormatOpt = "table",
) -> None:
    """Time-split offline evaluation: precision, recall, nDCG, MAP@k, hit rate, coverage per model."""
    with steps("evaluate") as step:
        step("training on the past, testing on the last days")
        evaluation = Shop.open(data).recommend_evaluate(test_days, k, tuple(m.strip() for m in models.split(",")))
    emit(evaluation.frame, fmt, f"Recommenders, last {test_days} days as test (train before {evaluation.cutoff})")
