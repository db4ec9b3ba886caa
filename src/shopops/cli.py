"""The ``shopops`` command line (Typer): one sub-command per capability."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from shopops.errors import ShopopsError
from shopops.ingest.pipeline import IngestResult
from shopops.shop import GRAINS, Shop

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="shopops: run an online shop's operations on data.")
console = Console()
err_console = Console(stderr=True)

DataOpt = Annotated[Path | None, typer.Option("--data", "-d", help="Data directory (default: $SHOPOPS_DATA_DIR "
                                                                     "or ./shopops-data).")]


def _shop(data: Path | None) -> Shop:
    return Shop.open(data)


@contextmanager
def _steps(title: str) -> Iterator[Callable[[str], None]]:
    """A Rich spinner that shows the current step of a long job."""
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as progress:
        task = progress.add_task(title)
        yield lambda msg: progress.update(task, description=f"{title}: {msg}")


def _fail(exc: ShopopsError) -> None:
    err_console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


def _money(x: Any) -> str:
    return "" if x is None or pd.isna(x) else f"{x:,.2f}"


def _frame_table(df: pd.DataFrame, title: str) -> RichTable:
    table = RichTable(title=title, show_lines=False, header_style="bold cyan")
    for col in df.columns:
        table.add_column(str(col), justify="right" if pd.api.types.is_numeric_dtype(df[col]) else "left")
    for row in df.itertuples(index=False):
        cells = []
        for value, col in zip(row, df.columns, strict=True):
            if isinstance(value, float):
                is_rate = str(col).endswith("rate")
                cells.append("" if pd.isna(value) else (f"{value:.1%}" if is_rate else f"{value:,.2f}"))
            else:
                cells.append("" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))
        table.add_row(*cells)
    return table


def _emit(df: pd.DataFrame, fmt: str, title: str) -> None:
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(df.to_json(orient="records", date_format="iso", indent=1) + "\n")
    elif fmt == "table":
        console.print(_frame_table(df, title))
    else:
        raise ShopopsError(f"--format must be table, csv or json, not {fmt!r}")


def print_ingest(result: IngestResult) -> None:
    """Print the data-quality report of an ingest."""
    if result.status == "skipped":
        for w in result.warnings:
            console.print(f"[yellow]{w}[/]")
        return
    console.print(f"[bold green]committed[/] batch {result.batch_id} ({result.adapter}) in {result.seconds:.2f} s")
    table = RichTable(title="Data quality", header_style="bold cyan")
    for col in ("table", "rows in", "ok", "quarantined", "duplicates", "period"):
        table.add_column(col, justify="left" if col in ("table", "period") else "right")
    for rep in result.tables.values():
        period = f"{rep.first[:10]} → {rep.last[:10]}" if rep.first and rep.last else ""
        table.add_row(rep.table, f"{rep.rows_in:,}", f"{rep.rows_ok:,}", f"{rep.rows_quarantined:,}",
                      f"{rep.duplicates:,}", period)
    console.print(table)
    for rep in result.tables.values():
        if rep.reasons:
            console.print(f"[bold]{rep.table}[/] quarantine reasons: " +
                          "; ".join(f"{k} ×{v:,}" for k, v in rep.reasons.items()))
            for ex in rep.examples[:3]:
                console.print(f"   row {ex['row']}: {ex['reason']}")
        if rep.line_types:
            console.print(f"[bold]{rep.table}[/] line types: " +
                          ", ".join(f"{k} {v:,}" for k, v in rep.line_types.items()))
        if rep.nulls:
            empties = ", ".join(f"{k} {v:,}" for k, v in rep.nulls.items())
            console.print(f"[bold]{rep.table}[/] empty values: {empties}")
        real = [o for o in rep.outliers if "row" in o]
        if real:
            shown = ", ".join(f"row {o['row']} ({o['product_id']} ×{o['quantity']:,})" for o in real[:5])
            console.print(f"[bold]{rep.table}[/] outliers ({len(real)}{'+' if len(rep.outliers) > len(real) else ''}):"
                          f" {shown}")
        if rep.pseudonymised:
            console.print(f"[bold]{rep.table}[/] pseudonymised: " +
                          ", ".join(f"{k} ({v:,} values)" for k, v in rep.pseudonymised.items()))
    for w in result.warnings:
        console.print(f"[yellow]{w}[/]")


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="File to ingest (CSV, Parquet, Excel, JSON Lines) or Olist folder.")],
    data: DataOpt = None,
    adapter: Annotated[str, typer.Option(help="auto, canonical, mapping, online_retail, olist, cdnow.")] = "auto",
    mapping: Annotated[Path | None, typer.Option(help="TOML column-mapping file (docs/data.md).")] = None,
    table: Annotated[str | None, typer.Option(help="Canonical table of a file with canonical columns.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding (default: detected).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: sniffed).")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")] = None,
    build: Annotated[bool, typer.Option(help="Rebuild the warehouse afterwards.")] = True,
) -> None:
    """Validate a file into the lake (bad rows to quarantine) and rebuild the warehouse."""
    try:
        with _steps(f"ingest {path.name}") as step:
            result = _shop(data).ingest(path, adapter=adapter, mapping=mapping, table=table, encoding=encoding,
                                        delimiter=delimiter, sheet=sheet, build=build, on_step=step)
    except ShopopsError as exc:
        _fail(exc)
    print_ingest(result)


@app.command()
def build(
    data: DataOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark.")] = "duckdb",
) -> None:
    """Rebuild the warehouse from the lake (DuckDB, or the same SQL on Spark)."""
    try:
        with _steps(f"build ({engine})") as step:
            result = _shop(data).build(engine=engine, on_step=step)
    except ShopopsError as exc:
        _fail(exc)
    console.print(f"[bold green]built[/] {result.path} with {result.engine} in {result.seconds:.2f} s")
    console.print(", ".join(f"{k} {v:,}" for k, v in result.tables.items()))


@app.command()
def kpi(
    data: DataOpt = None,
    grain: Annotated[str, typer.Option(help="day, week or month.")] = "month",
    start: Annotated[str | None, typer.Option("--from", help="First period, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last period, YYYY-MM-DD.")] = None,
    top: Annotated[str | None, typer.Option(help="Show top 'products' or 'categories' instead.")] = None,
    n: Annotated[int, typer.Option("-n", help="How many top rows.")] = 10,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Print the KPIs by period, or the top products / categories."""
    try:
        shop = _shop(data)
        if top is None:
            if grain not in GRAINS:
                raise ShopopsError(f"--grain must be one of {', '.join(GRAINS)}, not {grain!r}")
            df = shop.kpis(grain, start, end)
            if fmt == "table":
                df = df[["period_start", "gross_sales", "net_sales", "orders", "units", "aov", "customers",
                         "new_customers", "repeat_rate", "cancellation_rate"]]
            _emit(df, fmt, f"KPIs by {grain}")
        elif top in ("products", "categories"):
            df = shop.top_products(n, start, end) if top == "products" else shop.top_categories(n, start, end)
            _emit(df, fmt, f"Top {n} {top}")
        else:
            raise ShopopsError(f"--top must be 'products' or 'categories', not {top!r}")
    except ShopopsError as exc:
        _fail(exc)


@app.command()
def quality(
    data: DataOpt = None,
    quarantine: Annotated[bool, typer.Option(help="List quarantined rows.")] = False,
    table: Annotated[str | None, typer.Option(help="Only this table's quarantine.")] = None,
    limit: Annotated[int, typer.Option(help="Quarantined rows to show.")] = 50,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Show the data-quality report of every ingest, or the quarantined rows."""
    try:
        shop = _shop(data)
        if quarantine:
            df = shop.quarantine(table, limit)
            _emit(df[["table_name", "_source_file", "_source_row", "_reason"]] if fmt == "table" else df, fmt,
                  "Quarantine")
        else:
            _emit(shop.quality(), fmt, "Ingests")
    except ShopopsError as exc:
        _fail(exc)


@app.command()
def simulate(
    data: DataOpt = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same shop.")] = 0,
    lines: Annotated[int | None, typer.Option(help="Target number of sale lines (e.g. 10000000).")] = None,
    days: Annotated[int, typer.Option(help="Days of history.")] = 730,
    products: Annotated[int, typer.Option(help="Products in the catalogue.")] = 500,
    customers: Annotated[int, typer.Option(help="Customers acquired over the period.")] = 20_000,
    ingest_: Annotated[bool, typer.Option("--ingest/--no-ingest", help="Ingest into the lake and build.")] = True,
) -> None:
    """Generate a realistic synthetic shop (seeded) and load it like any other source."""
    from shopops.demo import simulate_into

    try:
        started = time.perf_counter()
        with _steps("simulate") as step:
            summary = simulate_into(_shop(data), seed=seed, lines=lines, days=days, products=products,
                                    customers=customers, ingest=ingest_, on_step=step)
    except ShopopsError as exc:
        _fail(exc)
    console.print(f"[bold green]simulated[/] into {summary.out_dir} in {time.perf_counter() - started:.1f} s")
    console.print(", ".join(f"{k} {v:,}" for k, v in summary.rows.items()))


@app.command()
def report(
    data: DataOpt = None,
    out: Annotated[Path | None, typer.Option(help="HTML file to write.")] = None,
) -> None:
    """Write the HTML report (KPIs, charts, data quality)."""
    from shopops.report import write_report

    try:
        path = write_report(_shop(data).data_dir, out)
    except ShopopsError as exc:
        _fail(exc)
    console.print(f"report: {path}")


@app.command()
def demo(
    data: DataOpt = None,
    real: Annotated[Path | None, typer.Option(help="Ingest this real dataset (e.g. Online Retail) instead "
                                                   "of simulating.")] = None,
    lines: Annotated[int | None, typer.Option(help="Sale lines to simulate.")] = None,
    seed: Annotated[int, typer.Option(help="Simulation seed.")] = 0,
) -> None:
    """End to end: simulate (or ingest real data), build, print the KPIs, write the HTML report."""
    from shopops.demo import run_demo

    try:
        with _steps("demo") as step:
            outcome = run_demo(_shop(data), real=real, lines=lines, seed=seed, on_step=step)
    except ShopopsError as exc:
        _fail(exc)
    for result in outcome.ingests:
        print_ingest(result)
    shop = outcome.shop
    _emit(shop.kpis("month")[["period_start", "gross_sales", "net_sales", "orders", "aov", "customers",
                             "new_customers", "repeat_rate", "cancellation_rate"]], "table", "KPIs by month")
    _emit(shop.top_products(10), "table", "Top 10 products")
    console.print(f"[bold]report:[/] {outcome.report}")
    console.print(json.dumps({"data_dir": str(shop.data_dir), "seconds": round(outcome.seconds, 1)}))


# ---- forecast (issue #3)
def _check_out(out: Path) -> None:
    """Fail before the work, not after it: the output file must be writable with a known format."""
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise ShopopsError(f"--out {out}: write .parquet or .csv, not {out.suffix or 'no extension'!r}")
    if not out.parent.is_dir():
        raise ShopopsError(f"--out {out}: folder {out.parent} does not exist")


def _write_frame(df: pd.DataFrame, out: Path) -> None:
    if out.suffix.lower() == ".csv":
        df.to_csv(out, index=False)
    else:
        df.to_parquet(out, index=False)


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
    """Forecast demand with quantiles: unique_id, ds, yhat, q05, q50, q80, q90, q95, q99."""
    from shopops.forecast._shop import forecast_shop

    try:
        _check_out(out)
        with _steps("forecast") as step:
            step("fitting every product")
            df, model = forecast_shop(_shop(data), horizon, level, freq, until, engine)
        _write_frame(df, out)
    except ShopopsError as exc:
        _fail(exc)
    choice = model.choice_[["class", "series", "model"]]
    _emit(choice, "table", "Model chosen per demand class (inner backtest)")
    console.print(f"[bold green]wrote[/] {len(df):,} rows ({df['unique_id'].nunique():,} series x {horizon}) to {out}")


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
    from shopops.forecast._report import write_backtest_report

    try:
        shop = _shop(data)
        with _steps("backtest") as step:
            result = shop.backtest(horizon, origins, freq, until, engine, on_step=step)
        path = write_backtest_report(result, report or shop.data_dir / "forecast_backtest.html", series)
    except ShopopsError as exc:
        _fail(exc)
    _emit(result.summary, "table", f"Backtest over {origins} origins, horizon {horizon} (auto = chosen per class)")
    by_origin = result.by_origin[result.by_origin["model"] == "auto"].drop(columns="model")
    _emit(by_origin.assign(origin=by_origin["origin"].dt.strftime("%Y-%m-%d")), "table", "auto, per origin")
    console.print("coverage: cover80 = P(y <= q80), cover95 = P(y <= q95), cover_05_95 = P(q05 <= y <= q95)")
    console.print(f"report: {path}")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

