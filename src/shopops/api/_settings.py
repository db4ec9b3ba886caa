"""Settings of the service (environment variables ``SHOPOPS_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServiceSettings"]


class ServiceSettings(BaseSettings):
    """Where the service listens and what it accepts."""

    model_config = SettingsConfigDict(env_prefix="SHOPOPS_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address to bind; loopback only unless changed.")
    port: int = Field(default=8321, description="TCP port.")
    max_upload_mb: float = Field(default=512.0, description="Largest file accepted by POST /api/v1/ingest.")
    max_body_kb: int = Field(default=64, description="Largest body of any other request.")
    page_max: int = Field(default=1000, description="Most rows one JSON page may hold.")
    export_max: int = Field(default=1_000_000, description="Most rows one CSV download may hold.")
    upload_retention_days: float = Field(default=30.0, description="Days an ingested upload is kept in uploads/ "
                                         "(0: removed once ingested). Non-personal sources keep a raw copy in "
                                         "the lake, so re-processing does not need them.")
    uploads_max_mb: float = Field(default=4096.0, description="Most space uploads/ may take; the oldest go first.")
    uploads_per_hour: int = Field(default=60, description="Uploads one API key may send per hour.")
    upload_mb_per_day: float = Field(default=8192.0, description="Upload volume one API key may send per day.")
