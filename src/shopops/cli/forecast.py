"""Forecasting: ``shopops forecast`` (quantile forecasts to a file) and ``backtest`` (scores and HTML report)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopops.cli._app import DataOpt, app, console, emit, steps, write_frame
from shopops.errors import ShopopsError
from shopops.shop import Shop

__all__ = ["backtest", "forecast"]


def _check_out(out: Path) -> None:
    """Fail before the work, not after it: the output file must be writable with a known format."""
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise ShopopsError(f"--out {out}: write .parquet or .csv, not {out.suffix or 'no extension'!r}")
    if not out.parent.is_dir():
        raise ShopopsError(f"--out {out}: folder {out.parent} does not exist")


@app.command()
def forecast(
    out: Annotated[Path, typer.Option(help="File to write: .parquet or .csv.")],
    data: DataOpt = None,
    horizon: Annotated[int, typer.Option(help="Periods ahead (1 to 366 days or 104 weeks).")] = 28,
    until: Annotated[str | None, typer.Option(help="Use history up to and including this day, YYYY-MM-DD.")] = None,
    freq: Annotated[str, typer.Option(help="D (days) or W (weeks from Monday).")] = "D",
    level: Annotated[str, typer.Option(help="product, category or total (sums of products).")] = "product",
    engine: Annotated[str, typer.Option(help="local or spark (per-series models on Spark).")] = "local",
) -> None:
    """Forecast demand with quantiles: unique_id, ds, yhat, q05, q25, q50, q75, q80, q90, q95, q99."""
    _check_out(out)
    with steps("forecast") as step:
        step("fitting every product")
        result = Shop.open(data).forecast(horizon, level, freq, until, engine)
    df = result.frame
    write_frame(df, out)
    choice = result.choice[["class", "series", "model"]]
    emit(choice, "table", "Model chosen per demand class (inner backtest)")
    console.print(f"[bold green]forecast[/] {df['unique_id'].nunique():,} series x {horizon} periods")


@app.command()
def backtest(
    data: DataOpt = None,
    horizon: Annotated[int, typer.Option(help="Periods forecast from each origin.")] = 28,
    origins: Annotated[int, typer.Option(help="Number of rolling origins (each `horizon` apart).")] = 3,
    until: Annotated[str | None, typer.Option(help="Treat this day as the end of history, YYYY-MM-DD.")] = None,
    freq: Annotated[str, typer.Option(help="D or W.")] = "D",
    engine: Annotated[str, typer.Option(help="local or spark.")] = "local",
    report: Annotated[Path | None, typer.Option(help="HTML report (default: DATA/forecast_backtest.html).")] = None,
    series: Annotated[list[str] | None, typer.Option("--series", help="Product to plot in the report (repeat; "
                                                                       "default: the 6 with most revenue).")] = None,
) -> None:
    """Rolling-origin backtest: MASE, RMSSE, WRMSSE, bias, pinball loss, interval coverage per model."""
    from shopops.forecast import write_backtest_report

    shop = Shop.open(data)
    with steps("backtest") as step:
        result = shop.backtest(horizon, origins, freq, until, engine, on_step=step)
    path = write_backtest_report(result, report or shop.data_dir / "forecast_backtest.html", series)
    emit(result.summary, "table", f"Backtest over {origins} origins, horizon {horizon} (auto = chosen per class)")
    by_origin = result.by_origin[result.by_origin["model"] == "auto"].drop(columns="model")
    emit(by_origin.assign(origin=by_origin["origin"].dt.strftime("%Y-%m-%d")), "table", "auto, per origin")
    console.print("coverage: cover80 = P(y <= q80), cover95 = P(y <= q95), cover_05_95 = P(q05 <= y <= q95)")
    console.print(f"report: {path}")
