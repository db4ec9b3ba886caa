"""The warehouse: SQL models built from the lake (on DuckDB or Spark), and the one read-only Reader."""

from shopops.warehouse._build import (
    BuildResult,
    WarehouseStatus,
    build_warehouse,
    warehouse_is_current,
    warehouse_status,
)
from shopops.warehouse._customers import CUSTOMER_COLUMNS, CustomerIndex, CustomerSort, customer_index
from shopops.warehouse._incremental import refresh_warehouse
from shopops.warehouse._measures import KPI_CARDS, SALES_TOTALS, KpiCard, sales_totals
from shopops.warehouse._models import Model, load_models, models_fingerprint
from shopops.warehouse._orders import LINE_COLUMNS, ORDER_COLUMNS, LineIndex, OrderIndex, line_index, order_index
from shopops.warehouse._queries import GRAINS, TOP_BY, ingest_reports, kpis, quarantined, top_sales
from shopops.warehouse._ranges import RangeTotals, SalesIndex, catalogue, sales_index
from shopops.warehouse._reader import WAREHOUSE_FILE, Identity, Reader, Snapshot, read_meta
from shopops.warehouse._spark import spark_session

__all__ = [
    "CUSTOMER_COLUMNS",
    "GRAINS",
    "KPI_CARDS",
    "LINE_COLUMNS",
    "ORDER_COLUMNS",
    "SALES_TOTALS",
    "TOP_BY",
    "WAREHOUSE_FILE",
    "BuildResult",
    "CustomerIndex",
    "CustomerSort",
    "Identity",
    "KpiCard",
    "LineIndex",
    "Model",
    "OrderIndex",
    "RangeTotals",
    "Reader",
    "SalesIndex",
    "Snapshot",
    "WarehouseStatus",
    "build_warehouse",
    "catalogue",
    "customer_index",
    "ingest_reports",
    "kpis",
    "line_index",
    "load_models",
    "models_fingerprint",
    "order_index",
    "quarantined",
    "read_meta",
    "refresh_warehouse",
    "sales_index",
    "sales_totals",
    "spark_session",
    "top_sales",
    "warehouse_is_current",
    "warehouse_status",
]
