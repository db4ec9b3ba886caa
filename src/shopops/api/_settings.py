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
