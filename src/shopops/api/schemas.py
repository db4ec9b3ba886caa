"""Pydantic models of every answer the API gives (the OpenAPI at /docs is generated from them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

__all__ = [
    "ApiKeyCreated",
    "ApiKeyOut",
    "AuditOut",
    "CapabilityOut",
    "CategoryRow",
    "CustomerRow",
    "ForecastAccuracy",
    "ForecastRow",
    "Health",
    "IngestOut",
    "IngestRunRow",
    "KeyCreate",
    "KpiCard",
    "KpiRow",
    "Me",
    "OrderDetail",
    "OrderLineRow",
    "OrderRow",
    "Overview",
    "Page",
    "ProductDetail",
    "ProductRow",
    "QualityRow",
    "QuarantineRow",
    "RecommendationRow",
    "SalesPoint",
    "SegmentRow",
    "StockRow",
    "TableReportOut",
]

RowT = TypeVar("RowT", bound=BaseModel)


class Page(BaseModel, Generic[RowT]):
    """One page of rows; ``total`` counts all rows that match the filters."""

    items: list[RowT]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    """Liveness and what the server serves."""

    status: Literal["ok"]
    version: str
    warehouse: bool
    currency: str
    stale: bool = Field(False, description="The lake holds batches the warehouse was not built from.")
    stale_reason: str | None = None
    missing_batches: int = 0
    built_at: str | None = Field(None, description="When the warehouse was built (UTC).")


class Me(BaseModel):
    """The caller's key and what it may do."""

    key_id: str
    name: str
    role: str
    permissions: list[str]


class CapabilityOut(BaseModel):
    """One capability: its dashboard page (empty: API only), its permission, whether the caller has it."""

    name: str
    page: str
    permission: str
    allowed: bool


class KpiRow(BaseModel):
    """One period of ``kpi_period`` (definitions in docs/data.md)."""

    period_start: date
    gross_sales: float | None = None
    discounts: float | None = None
    cancellations: float | None = None
    returns: float | None = None
    net_sales: float | None = None
    orders: int | None = None
    units: int | None = None
    aov: float | None = None
    customers: int | None = None
    new_customers: int | None = None
    returning_customers: int | None = None
    repeat_rate: float | None = None
    cancellation_rate: float | None = None
    return_rate: float | None = None
    shipping_revenue: float | None = None
    guest_orders: int | None = None


class KpiCard(BaseModel):
    """A KPI of the current period against the previous one.

    ``change`` is relative (0.05 = +5 %) for amounts and counts, in points (0.01 = +1 pp) for rates.
    """

    key: str
    kind: Literal["money", "count", "rate"]
    value: float | None
    previous: float | None
    change: float | None
    change_unit: Literal["relative", "points"]
    higher_is_better: bool


class Overview(BaseModel):
    """KPI cards of the last full period against the one before, and the trend series."""

    grain: Literal["day", "week", "month"]
    period_start: date | None
    previous_start: date | None
    data_first: date | None
    data_last: date | None
    currency: str
    cards: list[KpiCard]
    series: list[KpiRow]
    partial_from: date | None = Field(
        default=None, description="First period of the series that the data covers only in part (drawn dashed).")
    notes: list[str]
    built_at: str | None


class ProductRow(BaseModel):
    """A product's sales over the chosen dates."""

    product_id: str
    name: str | None = None
    category: str | None = None
    units: int
    gross_sales: float
    net_sales: float
    orders: int


class CategoryRow(BaseModel):
    """A category's sales over the chosen dates."""

    category: str | None
    units: int
    gross_sales: float
    net_sales: float
    orders: int


class SalesPoint(BaseModel):
    """Sales of one product in one period."""

    period_start: date
    units: int
    net_sales: float


class ProductDetail(BaseModel):
    """One product: catalogue data and its sales series."""

    product_id: str
    name: str | None
    category: str | None
    unit_price: float | None
    unit_cost: float | None
    is_product: bool | None
    grain: str
    series: list[SalesPoint]


class CustomerRow(BaseModel):
    """A customer (personal data is pseudonymised at ingest and not served)."""

    customer_id: str
    country: str | None = None
    city: str | None = None
    channel: str | None = None
    acquired_at: datetime | None = None
    first_sale_at: datetime | None = None
    last_sale_at: datetime | None = None
    orders: int
    units: int
    sales_amount: float


class OrderRow(BaseModel):
    """An order document (sale, cancellation or return)."""

    order_id: str
    ordered_at: datetime
    customer_id: str | None = None
    country: str | None = None
    channel: str | None = None
    status: str | None = None
    lines: int
    units: int
    gross_sales: float
    net_amount: float
    is_sale: bool


class OrderLineRow(BaseModel):
    """One line of an order."""

    line_no: int
    product_id: str | None
    line_type: str | None
    quantity: int | None
    unit_price: float | None
    discount: float | None
    net_amount: float | None


class OrderDetail(BaseModel):
    """An order with its lines."""

    order: OrderRow
    lines: list[OrderLineRow]


class QualityRow(BaseModel):
    """Rows in / ok / quarantined of one table in one ingest batch."""

    batch_id: str
    seq: int
    committed_at: str
    adapter: str | None = None
    source: str | None = None
    table_name: str
    rows_in: int
    rows_ok: int
    rows_quarantined: int


class QuarantineRow(BaseModel):
    """A rejected row with why and where it came from."""

    table_name: str
    source_file: str | None
    source_row: int | None
    reason: str
    raw_text: str | None = None


class IngestRunRow(BaseModel):
    """A committed ingest batch."""

    batch_id: str
    seq: int
    committed_at: str
    adapter: str
    tables: dict[str, int]


class TableReportOut(BaseModel):
    """The data-quality report of one table of an ingest."""

    table: str
    rows_in: int
    rows_ok: int
    rows_quarantined: int
    duplicates: int
    reasons: dict[str, int]
    examples: list[dict[str, Any]]
    first: str | None = None
    last: str | None = None
    replaced: int = Field(0, description="Rows of earlier batches this batch replaced (same key).")
    replaced_from: list[dict[str, Any]] = Field(default_factory=list, description="Per earlier batch: id, adapter, "
                                                "files, rows replaced, example keys.")
    unmapped_columns: list[str] = Field(default_factory=list, description="Source columns no table took.")


class IngestOut(BaseModel):
    """What an upload did: committed or skipped (already ingested), with the quality report."""

    batch_id: str
    status: str
    adapter: str
    seconds: float
    tables: list[TableReportOut]
    warnings: list[str]


class StockRow(BaseModel):
    """Stock on hand of a product at a location on a date."""

    product_id: str
    name: str | None = None
    category: str | None = None
    date: date
    location: str | None = None
    on_hand: int
    stock_value: float | None = None


class ForecastRow(BaseModel):
    """A forecast point with its quantiles (statsforecast-style long format)."""

    unique_id: str
    ds: date
    yhat: float
    q05: float | None = None
    q25: float | None = None
    q50: float | None = None
    q75: float | None = None
    q80: float | None = None
    q90: float | None = None
    q95: float | None = None
    q99: float | None = None


class ForecastAccuracy(BaseModel):
    """How well the model chosen for a product forecast it in the backtest before the forecast."""

    unique_id: str
    demand_class: str
    model: str
    rmsse: float | None = None
    rmsse_ma: float | None = None
    backtest_days: int
    p_zero: float
    dispersion: float


class SegmentRow(BaseModel):
    """A customer's RFM scores and segment."""

    customer_id: str
    recency_days: float | None = None
    frequency: float | None = None
    monetary: float | None = None
    r_score: int | None = None
    f_score: int | None = None
    m_score: int | None = None
    segment: str | None = None
    cluster: int | None = None


class RecommendationRow(BaseModel):
    """A recommended product and why."""

    product_id: str
    score: float
    model: str | None = None
    reason: str | None = None


class KeyCreate(BaseModel):
    """A request for a new API key."""

    role: Literal["admin", "analyst", "operator", "agent", "viewer"]
    name: str = Field(min_length=1, max_length=100)


class ApiKeyOut(BaseModel):
    """A stored key (its secret is never shown again)."""

    key_id: str
    name: str
    role: str
    created_at: str
    revoked_at: str | None


class ApiKeyCreated(ApiKeyOut):
    """A new key with its secret, shown this once."""

    key: str


class AuditOut(BaseModel):
    """One recorded write."""

    seq: int
    at: str
    key_id: str | None
    key_name: str | None
    role: str | None
    method: str
    path: str
    action: str
    status: int
    detail: dict[str, Any]
