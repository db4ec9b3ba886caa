"""Loading and looking at the data: ``ingest``, ``build``, ``kpi``, ``quality``, ``simulate``, ``report``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from shopops.cli._app import DataOpt, FormatOpt, app, console, emit, say_waits, steps
from shopops.errors import ShopopsError
from shopops.ingest.pipeline import IngestResult
from shopops.shop import GRAINS, Shop

__all__ = ["build", "ingest", "kpi", "print_ingest", "quality", "report", "simulate"]


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
    replace_keys: Annotated[bool, typer.Option(help="Let this file replace orders another source holds under "
                                                    "the same ids.")] = False,
    engine: Annotated[str | None, typer.Option(help="duckdb or spark (validation on Spark; default: "
                                                    "SHOPOPS_ENGINE).")] = None,
) -> None:
    """Validate a file into the lake (bad rows to quarantine) and rebuild the warehouse."""
    with steps(f"ingest {path.name}") as step:
        result = Shop.open(data).ingest(path, adapter=adapter, mapping=mapping, table=table, encoding=encoding,
                                        delimiter=delimiter, sheet=sheet, build=build, on_step=say_waits(step),
                                        replace_keys=replace_keys, engine=engine)
    print_ingest(result)


@app.command()
def build(
    data: DataOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark.")] = "duckdb",
) -> None:
    """Rebuild the warehouse from the lake (DuckDB, or the same SQL on Spark)."""
    with steps(f"build ({engine})") as step:
        result = Shop.open(data).build(engine=engine, on_step=say_waits(step))
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
    fmt: FormatOpt = "table",
) -> None:
    """Print the KPIs by period, or the top products / categories."""
    shop = Shop.open(data)
    if top is None:
        if grain not in GRAINS:
            raise ShopopsError(f"--grain must be one of {', '.join(GRAINS)}, not {grain!r}")
        df = shop.kpis(grain, start, end)
        if fmt == "table":
            df = df[["period_start", "gross_sales", "net_sales", "orders", "units", "aov", "customers",
                     "new_customers", "repeat_rate", "cancellation_rate"]]
        emit(df, fmt, f"KPIs by {grain}")
    elif top in ("products", "categories"):
        df = shop.top_products(n, start, end) if top == "products" else shop.top_categories(n, start, end)
        emit(df, fmt, f"Top {n} {top}")
    else:
        raise ShopopsError(f"--top must be 'products' or 'categories', not {top!r}")


@app.command()
def quality(
    data: DataOpt = None,
    quarantine: Annotated[bool, typer.Option(help="List quarantined rows.")] = False,
    table: Annotated[str | None, typer.Option(help="Only this table's quarantine.")] = None,
    limit: Annotated[int, typer.Option(help="Quarantined rows to show.")] = 50,
    fmt: FormatOpt = "table",
) -> None:
    """Show the data-quality report of every ingest, or the quarantined rows."""
    shop = Shop.open(data)
    if quarantine:
        df = shop.quarantine(table, limit)
        emit(df[["table_name", "_source_file", "_source_row", "_reason"]] if fmt == "table" else df, fmt,
             "Quarantine")
    else:
        emit(shop.quality(), fmt, "Ingests")


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
    started = time.perf_counter()
    with steps("simulate") as step:
        summary = Shop.open(data).simulate(seed=seed, lines=lines, days=days, products=products,
                                           customers=customers, ingest=ingest_, on_step=step)
    console.print(f"[bold green]simulated[/] into {summary.out_dir} in {time.perf_counter() - started:.1f} s")
    console.print(", ".join(f"{k} {v:,}" for k, v in summary.rows.items()))


@app.command()
def report(
    data: DataOpt = None,
    out: Annotated[Path | None, typer.Option(help="HTML file to write.")] = None,
) -> None:
    """Write the HTML report (KPIs, charts, data quality)."""
    from shopops.report import write_report

    console.print(f"report: {write_report(Shop.open(data).data_dir, out)}")
