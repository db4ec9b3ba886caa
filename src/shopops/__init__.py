"""shopops: run an online shop's operations on data.

The public API: :class:`Shop` (open a data directory, ingest, build, ask for KPIs), the settings,
the canonical schema and the error family.
"""

from shopops.config import Settings
from shopops.customers._errors import CustomerDataError, UnknownCustomerError
from shopops.errors import IngestError, MappingError, ShopopsError, SourceError, WarehouseError
from shopops.ingest.pipeline import IngestResult, TableReport, ingest
from shopops.lake import Batch, Lake
from shopops.schema import LINE_TYPES, TABLES, Column, Table
from shopops.shop import Shop
from shopops.warehouse import BuildResult, build_warehouse

__all__ = [
    "LINE_TYPES",
    "TABLES",
    "Batch",
    "BuildResult",
    "Column",
    "CustomerDataError",
    "IngestError",
    "IngestResult",
    "Lake",
    "MappingError",
    "Settings",
    "Shop",
    "ShopopsError",
    "SourceError",
    "Table",
    "TableReport",
    "UnknownCustomerError",
    "WarehouseError",
    "build_warehouse",
    "ingest",
]
__version__ = "0.1.0"
