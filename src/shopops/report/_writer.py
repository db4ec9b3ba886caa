"""Write the report: read the warehouse, format, draw, render the template, replace the file atomically."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import jinja2

from shopops.config import Settings
from shopops.errors import WarehouseError
from shopops.report._charts import (
    chart_customers,
    chart_heatmap,
    chart_monthly,
    chart_top_categories,
    chart_top_products,
    chart_weekly,
    safe_chart,
)
from shopops.report._data import (
    heatmap_rows,
    kpi_summary,
    read_definitions,
    read_header,
    read_months,
    read_quality,
    read_span,
    top_category_rows,
    top_product_rows,
    weekly_rows,
)
from shopops.report._format import Fmt
from shopops.warehouse import Reader

__all__ = ["REPORT_FILE", "write_report"]

#: Where :func:`write_report` writes by default, relative to the data directory.
REPORT_FILE = Path("reports") / "report.html"


def template() -> jinja2.Template:
    """The report's Jinja template."""
    text = (resources.files("shopops") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    return env.from_string(text)


def write_report(
    data_dir: Path,
    out: Path | None = None,
    *,
    title: str = "shopops report",
    settings: Settings | None = None,
) -> Path:
    """Write a self-contained HTML report of the shop.

    The report shows the data period and size, KPI cards of the last full month against the month
    before, charts (weekly sales, monthly orders and average order value, new and returning
    customers, top products and categories, orders by weekday and hour), the data quality of every
    ingest batch and the KPI definitions. Everything is in one file: CSS inline, charts as inline SVG.

    Parameters
    ----------
    data_dir : Path
        The shopops data directory holding the warehouse.
    out : Path or None
        Where to write the HTML file; default ``<data_dir>/reports/report.html``.
    title : str
        Title of the report.
    settings : Settings or None
        Settings (the shop currency); default from the environment.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    WarehouseError
        When there is no warehouse in ``data_dir`` or it cannot be read.
    """
    started = time.perf_counter()
    data_dir = Path(data_dir)
    settings = settings or Settings()
    fmt = Fmt(settings.currency)
    reader = Reader.for_data_dir(data_dir)
    if not reader.exists():
        raise WarehouseError(f"{reader.path}: no warehouse; ingest data first (shopops ingest FILE --data {data_dir})")
    try:
        span = read_span(reader)
        months = read_months(reader)
        header = read_header(reader, span, fmt)
        kpis = kpi_summary(months, span, fmt)
        charts = [] if span.empty else [
            safe_chart(lambda: chart_weekly(weekly_rows(reader), span, fmt), "weekly", "Weekly sales"),
            safe_chart(lambda: chart_monthly(months, span, fmt), "monthly", "Orders and average order value"),
            safe_chart(lambda: chart_customers(months), "customers", "New and returning customers"),
            safe_chart(lambda: chart_top_products(top_product_rows(reader), fmt), "products", "Top 10 products"),
            safe_chart(lambda: chart_top_categories(top_category_rows(reader), fmt), "categories",
                       "Top 10 categories"),
            safe_chart(lambda: chart_heatmap(lambda: heatmap_rows(reader), span), "heatmap", "When orders come in"),
        ]
        quality = read_quality(reader, fmt)
    except WarehouseError as exc:
        raise WarehouseError(f"{reader.path}: cannot read the warehouse: {exc}") from None
    finally:
        reader.close()
    intro, terms = read_definitions()
    text = template().render(
        title=title,
        header=header,
        kpis=kpis,
        charts=charts,
        quality=quality,
        definitions_intro=intro,
        definitions=terms,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=f"{time.perf_counter() - started:.1f}",
    )
    target = Path(out) if out is not None else data_dir / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
