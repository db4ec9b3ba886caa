"""The ``shopops`` command line (Typer): one sub-command per capability."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
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
    serve_: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the dashboard at the end.")] = True,
    port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8321,
) -> None:
    """End to end: simulate (or ingest real data), build, print the KPIs, write the HTML report, serve the dashboard."""
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
    if serve_:
        _serve_dashboard(shop, "127.0.0.1", port, demo_key=True)


# ---- service (issue #5)
keys_app = typer.Typer(no_args_is_help=True, help="API keys of the service (stored hashed; shown once).")
app.add_typer(keys_app, name="keys")


def _serve_dashboard(shop: Shop, host: str, port: int, *, demo_key: bool = False) -> None:
    from shopops.api import KeyStore, ServiceSettings, serve

    settings = ServiceSettings(host=host, port=port)
    fragment = ""
    if demo_key:
        _record, secret = KeyStore.for_data_dir(shop.data_dir).create("admin", "demo")
        fragment = f"#key={secret}"

    def ready(url: str) -> None:
        console.print(f"[bold green]dashboard:[/] {url}{fragment}  (API docs: {url}docs; Ctrl+C stops)",
                      soft_wrap=True)

    serve(shop, settings, on_ready=ready)


@app.command()
def serve(
    data: DataOpt = None,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8321,
) -> None:
    """Serve the HTTP API (/api/v1, docs at /docs) and the web dashboard."""
    _serve_dashboard(_shop(data), host, port)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, analyst, operator, agent or viewer.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    data: DataOpt = None,
) -> None:
    """Create an API key and print it (once: only a salted hash is stored)."""
    from shopops.api import KeyStore

    try:
        record, secret = KeyStore.for_data_dir(_shop(data).data_dir).create(role, name)
    except ShopopsError as exc:
        _fail(exc)
    err_console.print(f"created key {record.key_id} ({record.role}, {record.name}); it is shown only now:")
    sys.stdout.write(secret + "\n")


@keys_app.command("list")
def keys_list(data: DataOpt = None,
              fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table") -> None:
    """List the API keys (ids, names, roles; never the secrets)."""
    from dataclasses import asdict

    from shopops.api import KeyStore

    try:
        keys = KeyStore.for_data_dir(_shop(data).data_dir).list_keys()
        _emit(pd.DataFrame([asdict(k) for k in keys],
                           columns=["key_id", "name", "role", "created_at", "revoked_at"]), fmt, "API keys")
    except ShopopsError as exc:
        _fail(exc)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from `shopops keys list`).")],
                data: DataOpt = None) -> None:
    """Revoke an API key at once."""
    from shopops.api import KeyStore

    try:
        record = KeyStore.for_data_dir(_shop(data).data_dir).revoke(key_id)
    except ShopopsError as exc:
        _fail(exc)
    console.print(f"revoked {record.key_id} ({record.role}, {record.name}) at {record.revoked_at}")


# ---- customers and recommendations (issue #6)
def _write_frame(df: pd.DataFrame, out: Path) -> Path:
    """Write ``df`` as CSV, or Parquet when ``out`` ends in .parquet; return the path."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".parquet":
            df.to_parquet(out, index=False)
        else:
            df.to_csv(out, index=False)
    except OSError as exc:
        raise ShopopsError(f"cannot write {out}: {exc.strerror}; choose another --out path") from None
    console.print(f"wrote {len(df):,} rows to {out}")
    return out


@app.command()
def segment(
    data: DataOpt = None,
    as_of: Annotated[str | None, typer.Option(help="Analysis date YYYY-MM-DD (default: day after the last order).")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Write every customer (id, RFM, segment, cluster) to this "
                                                  "CSV/Parquet file.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the segment chart to this PNG file.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """RFM segments (named by documented rules) and k-means clusters of the customers."""
    try:
        with _steps("segments") as step:
            step("RFM, segments and clusters")
            shop = _shop(data)
            segments = shop.segments(as_of)
            table = segments.frame
            summary = shop.segment_summary(as_of)
        _emit(summary, fmt, "Segments")
        profiles = segments.cluster_profiles
        if fmt == "table" and isinstance(profiles, pd.DataFrame) and not profiles.empty:
            scores = ", ".join(f"k={k}: {v:.3f}" for k, v in segments.silhouette.items())
            _emit(profiles[["cluster", "customers", "share", "revenue_share", "median_recency_days",
                            "median_frequency", "median_monetary", "description"]], "table",
                  f"Clusters (k chosen by silhouette; {scores})")
        if out is not None:
            _write_frame(table, out)
        if plot is not None:
            from shopops.customers.plots import plot_segments

            console.print(f"plot: {plot_segments(summary, plot)}")
    except ShopopsError as exc:
        _fail(exc)


@app.command()
def churn(
    data: DataOpt = None,
    horizon_days: Annotated[int, typer.Option(help="Churned = no purchase within this many days.")] = 90,
    as_of: Annotated[str | None, typer.Option(help="Analysis date YYYY-MM-DD.")] = None,
    top: Annotated[int, typer.Option(help="Customers to show, highest risk first.")] = 20,
    out: Annotated[Path | None, typer.Option(help="Write every customer's risk and reasons to this file.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Churn probability per customer (LightGBM on a time split) with holdout AUC, PR-AUC and lift."""
    try:
        with _steps("churn") as step:
            step("features, time-split training, holdout")
            churn_result = _shop(data).churn(horizon_days, as_of)
        risk, metrics = churn_result.frame, churn_result.metrics
        _emit(risk.head(top)[["customer_id", "churn_probability", "recency_days", "frequency", "monetary",
                              "reasons"]], fmt, f"Churn risk (no purchase in {horizon_days} days)")
        if fmt == "table":
            console.print(
                f"holdout ({churn_result.windows['holdout_cutoff']}, {int(metrics['customers']):,} customers, "
                f"churn rate {metrics['churn_rate']:.1%}): AUC {metrics['auc']:.3f} (recency alone "
                f"{metrics['auc_recency_only']:.3f}), PR-AUC {metrics['pr_auc']:.3f}, top-decile lift "
                f"{metrics['top_decile_lift']:.2f}"
            )
            top_features = sorted(churn_result.importance.items(), key=lambda kv: -kv[1])[:5]
            console.print("model: LightGBM (time split, see docs/customers.md); most important features (mean "
                          "|SHAP|): " + ", ".join(f"{name} {value:.2f}" for name, value in top_features))
        if out is not None:
            _write_frame(risk, out)
    except ShopopsError as exc:
        _fail(exc)


@app.command()
def clv(
    data: DataOpt = None,
    horizon_days: Annotated[int, typer.Option(help="Days ahead to value.")] = 365,
    as_of: Annotated[str | None, typer.Option(help="End of the history used, YYYY-MM-DD.")] = None,
    top: Annotated[int, typer.Option(help="Customers to show, most valuable first.")] = 20,
    out: Annotated[Path | None, typer.Option(help="Write every customer's CLV to this file.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Expected purchases, value and P(alive) per customer (BG/NBD + Gamma-Gamma)."""
    try:
        with _steps("clv") as step:
            step("BG/NBD and Gamma-Gamma")
            clv_result = _shop(data).clv(horizon_days, as_of)
            values = clv_result.customers
        _emit(values.head(top)[["customer_id", "frequency", "p_alive", "expected_purchases", "expected_order_value",
                                "clv"]], fmt, f"Customer lifetime value, next {horizon_days} days")
        if fmt == "table":
            params = ", ".join(f"{k} {v:.4g}" for k, v in clv_result.bgnbd_params.items())
            console.print(f"BG/NBD: {params}; Gamma-Gamma: " +
                          (", ".join(f"{k} {v:.4g}" for k, v in clv_result.gamma_gamma_params.items()) or "not fitted"))
            bt = clv_result.backtest
            if bt.get("status") == "ok":
                console.print(f"backtest (holdout after {bt['calibration_end']}, {bt['holdout_days']:.0f} days): "
                              f"predicted {bt['predicted_repeat_purchases']:,.0f} repeat purchases, actual "
                              f"{bt['actual_repeat_purchases']:,.0f}; per-customer correlation "
                              f"{bt['correlation']:.2f}")
            else:
                console.print(f"backtest {bt.get('status')}")
        if out is not None:
            _write_frame(values, out)
    except ShopopsError as exc:
        _fail(exc)


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
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Recommend products to one customer (--customer), to all (--all --out FILE) or for a basket (--basket)."""
    if ctx.invoked_subcommand is not None:
        return
    chosen = sum(x for x in (customer is not None, all_customers, basket is not None))
    try:
        if chosen != 1:
            raise ShopopsError("recommend: give exactly one of --customer ID, --all (with --out FILE) or "
                               "--basket IDS; or run `shopops recommend evaluate`")
        shop = _shop(data)
        with _steps("recommend") as step:
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
            _write_frame(recs, out)
        else:
            _emit(recs, fmt, title)
        if fmt == "table" and basket is None:
            console.print(f"model: {model} on all purchases of known customers; its offline accuracy against "
                          "the popularity baseline: `shopops recommend evaluate`")
    except ShopopsError as exc:
        _fail(exc)


@recommend_app.command("evaluate")
def recommend_evaluate(
    data: DataOpt = None,
    test_days: Annotated[int, typer.Option(help="The last N days are the test period.")] = 30,
    k: Annotated[int, typer.Option("-k", help="Cut-off of the ranking metrics.")] = 10,
    models: Annotated[str, typer.Option(help="Comma-separated: popularity, item-item, als, bpr.")]
    = "popularity,item-item,als",
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Time-split offline evaluation: precision, recall, nDCG, MAP@k, hit rate, coverage per model."""
    try:
        with _steps("evaluate") as step:
            step("training on the past, testing on the last days")
            evaluation = _shop(data).recommend_evaluate(test_days, k, tuple(m.strip() for m in models.split(",")))
        _emit(evaluation.frame, fmt, f"Recommenders, last {test_days} days as test (train before {evaluation.cutoff})")
    except ShopopsError as exc:
        _fail(exc)


# ---- inventory (issue #4)
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
) -> None:
    """A purchase plan: what to order today, from whom, how much, with reorder points and alerts."""
    from shopops._dates import parse_day

    try:
        day = parse_day(as_of, "--as-of")
        with _steps("replenish") as step:
            step("planning")
            plan = _shop(data).replenish(service_level=service_level, budget=budget, review_days=review_days,
                                         policy=policy, as_of=day)
        _write_frame(plan.lines, out)
        po_path = _write_frame(plan.purchase_orders, out.with_name(f"{out.stem}_purchase_orders{out.suffix}"))
        alert_path = _write_frame(plan.alerts, out.with_name(f"{out.stem}_alerts{out.suffix}"))
    except ShopopsError as exc:
        _fail(exc)
    buy = plan.lines[plan.lines["order_qty"] > 0]
    console.print(f"[bold green]plan[/] {len(buy):,} of {len(plan.lines):,} products to order now, "
                  f"value {plan.total_value:,.2f} → {out}")
    _emit(plan.purchase_orders, "table", "Purchase orders")
    show = buy.sort_values("order_value", ascending=False).head(10)
    _emit(show[["product_id", "supplier_id", "order_qty", "order_value", "order_up_to", "on_hand",
                "expected_fill_rate", "expected_arrival"]], "table", "Largest order lines")
    if not plan.alerts.empty:
        summary = plan.alerts.groupby("alert").agg(products=("product_id", "nunique"), value=("value", "sum"))
        _emit(summary.reset_index(), "table", f"Alerts → {alert_path}")
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
    try:
        with _steps("simulate-policy") as step:
            comparison = _shop(data).simulate_policy(target_fill=service_level, history_days=history_days,
                                                     lead_time_days=lead_time, lead_time_sd_days=lead_time_sd,
                                                     backorders=backorders, on_step=step)
        if out is not None:
            _write_frame(comparison.points, out)
        if plot is not None:
            comparison.plot(plot, "fill rate vs stock")
    except ShopopsError as exc:
        _fail(exc)
    _emit(comparison.summary(), "table", f"At {service_level:.0%} fill rate")
    for saving, peer in ((comparison.saving_vs_static, "the static min/max rule of ERPs, tuned per class"),
                         (comparison.saving, "the best-tuned min/max, also refreshed monthly")):
        if np.isfinite(saving):
            console.print(f"[bold]shopops needs {saving:.1%} less average stock value[/] than {peer}")
        else:
            console.print(f"[yellow]{peer}: one of the policies does not reach this fill rate in the replay[/]")
    if plot is not None:
        console.print(f"plot: {plot}")


# ---- forecast (issue #3)
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
    """Forecast demand with quantiles: unique_id, ds, yhat, q05, q50, q80, q90, q95, q99."""
    from shopops.forecast import forecast_demand

    try:
        _check_out(out)
        with _steps("forecast") as step:
            step("fitting every product")
            result = forecast_demand(_shop(data).reader, horizon, level, freq, until, engine)
            df = result.frame
        _write_frame(df, out)
    except ShopopsError as exc:
        _fail(exc)
    choice = result.choice[["class", "series", "model"]]
    _emit(choice, "table", "Model chosen per demand class (inner backtest)")
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

