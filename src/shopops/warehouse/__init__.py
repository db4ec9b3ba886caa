"""The DuckDB warehouse: SQL models over the lake, on DuckDB or Spark."""

from shopops.warehouse._build import (
    WAREHOUSE_FILE,
    BuildResult,
    Model,
    build_warehouse,
    load_models,
    warehouse_is_current,
)

__all__ = ["WAREHOUSE_FILE", "BuildResult", "Model", "build_warehouse", "load_models", "warehouse_is_current"]
