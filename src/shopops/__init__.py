"""shopops: run an online shop's operations on data.

The public API: :class:`Shop` (open a data directory, ingest, build, ask for KPIs), the settings,
the canonical schema and the error family.
"""

from shopops.config import Settings
from shopops.errors import (
    CustomerDataError,
    IngestError,
    MappingError,
    NoWarehouseError,
    ShopopsError,
    SourceError,
    UnknownCustomerError,
    WarehouseError,
)
from shopops.ingest.pipeline import IngestResult, TableReport, ingest
from shopops.lake import Batch, Lake
from shopops.schema import LINE_TYPES, TABLES, Column, Table
from shopops.shop import Shop
from shopops.warehouse import BuildResult, Reader, build_warehouse

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
    "NoWarehouseError",
    "Reader",
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
