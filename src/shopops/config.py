"""Settings: one object, read from ``SHOPOPS_*`` environment variables with sensible defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Settings of a shopops installation.

    Every field can be set with an environment variable ``SHOPOPS_<FIELD>`` (upper case),
    e.g. ``SHOPOPS_DATA_DIR=/srv/shop``.
    """

    model_config = SettingsConfigDict(env_prefix="SHOPOPS_", extra="ignore")

    data_dir: Path = Field(default=Path("shopops-data"), description="Root of the lake and warehouse.")
    local_dir: Path | None = Field(
        default=None,
        description="For a lake on object storage (--data s3://bucket/prefix): the local folder of the warehouse, "
        "the operational store and caches. Default: ~/.cache/shopops/lakes/<hash of the URI>.",
    )
    lake_lease_seconds: float = Field(
        default=120.0, description="A writer's lease on an object-storage lake lasts this long unless renewed "
        "(renewed every third of it while held), so a killed writer's lease expires.")
    lake_lock_wait: float = Field(
        default=600.0, description="How long a writer waits for another writer's lease on an object-storage lake "
        "before it refuses.")
    engine: str = Field(default="duckdb", description="Transform engine: 'duckdb' or 'spark'.")
    spark_master: str = Field(default="local[2]", description="Spark master URL for --engine spark.")
    spark_shuffle_partitions: int | None = Field(
        default=None, ge=1,
        description="Shuffle partitions of a new Spark session (default: 4 in local mode, else Spark's own 200); "
        "about 2-3 per executor core suits a build.",
    )
    pii_key: str | None = Field(
        default=None,
        description="Secret key for pseudonymising personal data. When unset, a random key is created "
        "once in <data_dir>/secrets/pii.key and reused.",
    )
    pii_columns: tuple[str, ...] = Field(
        default=("name", "email", "phone", "address", "postcode"),
        description="Canonical columns treated as personal data and replaced by a keyed hash on ingest.",
    )
    duckdb_memory_limit: str = Field(default="3GB", description="Memory DuckDB may use before spilling.")
    duckdb_threads: int = Field(default=2, description="Threads DuckDB may use.")
    currency: str = Field(default="GBP", description="Currency that money columns are in.")
    outlier_z: float = Field(
        default=6.0,
        description="A line whose log quantity is this many robust standard deviations above its product's "
        "median (products with at least 10 lines) is reported as an outlier (never dropped).",
    )
