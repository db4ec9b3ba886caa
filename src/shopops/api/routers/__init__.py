"""The capabilities the service offers: one router module and one dashboard page each, in one list."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter

from shopops.api.routers import (
    admin,
    customers,
    forecast,
    ingest,
    inventory,
    marketing,
    monitor,
    orders,
    overview,
    products,
    quality,
    support,
)

__all__ = ["CAPABILITIES", "Capability"]


@dataclass(frozen=True)
class Capability:
    """A router and its dashboard page (``page`` None: API only)."""

    name: str
    router: APIRouter
    page: str | None
    permission: str


CAPABILITIES: list[Capability] = [
    Capability("overview", overview.router, "overview", "sales:read"),
    Capability("products", products.router, "products", "sales:read"),
    Capability("forecast", forecast.router, "forecast", "sales:read"),
    Capability("inventory", inventory.router, "inventory", "inventory:read"),
    Capability("customers", customers.router, "customers", "customers:read"),
    Capability("orders", orders.router, "orders", "orders:read"),
    Capability("marketing", marketing.router, "marketing", "marketing:read"),
    Capability("quality", quality.router, "quality", "quality:read"),
    Capability("ingest", ingest.router, None, "ingest:write"),
    Capability("admin", admin.router, None, "keys:admin"),
    Capability("live", monitor.router, "live", "monitor:read"),
    Capability("support", support.router, "support", "support:agent"),
]
