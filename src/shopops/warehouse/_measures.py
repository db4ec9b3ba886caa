"""The shop's sales measures and KPI cards, defined once for the facade, the API and the report.

The per-line measures (``is_sale``, ``sold_units``, ``gross_sales``, ``net_sales``) are columns of
``fact_order_line`` (``020_fact_order_line.sql``); every total of them sums those columns, so a
product's net sales are the same number in ``kpi_product_month``, ``Shop.top_products`` and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["KPI_CARDS", "SALES_TOTALS", "KpiCard", "sales_totals"]

#: The sales totals of a group of ``fact_order_line`` rows (aliased ``f``), by output name.
SALES_TOTALS: dict[str, str] = {
    "units": "sum(f.sold_units)",
    "gross_sales": "sum(f.gross_sales)",
    "net_sales": "sum(f.net_sales)",
    "orders": "count(DISTINCT CASE WHEN f.is_sale THEN f.order_id END)",
}


def sales_totals(*, typed: bool = False) -> str:
    """The select list of :data:`SALES_TOTALS` (``units, gross_sales, net_sales, orders``).

    Parameters
    ----------
    typed : bool
        Units as BIGINT and money as 0 (not NULL) for a group without amounts, as the API's schemas
        declare them; False keeps DuckDB's own sum types (what ``Shop.top_products`` returns).
    """
    parts = []
    for name, expr in SALES_TOTALS.items():
        if typed and name == "units":
            expr = f"CAST({expr} AS BIGINT)"
        elif typed and name != "orders":
            expr = f"coalesce({expr}, 0)"
        parts.append(f"{expr} AS {name}")
    return ", ".join(parts)


@dataclass(frozen=True)
class KpiCard:
    """One KPI card: a ``kpi_period`` column shown against the period before.

    Attributes
    ----------
    key : str
        The ``kpi_period`` column.
    label : str
        What the card is called on a page.
    kind : {"money", "count", "rate"}
        How the value is shown; a rate's change is in points, the others' relative.
    higher_is_better : bool
        Whether a rise is good news (colours the change).
    """

    key: str
    label: str
    kind: Literal["money", "count", "rate"]
    higher_is_better: bool


#: The KPI cards of the overview (API, dashboard) and of the HTML report, in the order shown.
KPI_CARDS: tuple[KpiCard, ...] = (
    KpiCard("net_sales", "Net sales", "money", True),
    KpiCard("orders", "Orders", "count", True),
    KpiCard("aov", "Average order value", "money", True),
    KpiCard("new_customers", "New customers", "count", True),
    KpiCard("repeat_rate", "Repeat rate", "rate", True),
    KpiCard("cancellation_rate", "Cancellation rate", "rate", False),
)
