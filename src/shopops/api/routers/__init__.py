"""The capabilities the service offers: one router module and one dashboard page each, in one list.

A capability whose ``available`` check fails (its branch is not in this build) keeps its endpoints,
which answer 503 with a clear message, and its page shows that message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter

from shopops.api._common import Ctx
from shopops.api.routers import admin, customers, forecast, inventory, orders, overview, products, quality

__all__ = ["CAPABILITIES", "Capability"]


@dataclass(frozen=True)
class Capability:
    """A router and its dashboard page (``page`` None: API only)."""

    name: str
    router: APIRouter
    page: str | None
    permission: str
    available: Callable[[Ctx], bool] | None = None
    missing: str = ""


CAPABILITIES: list[Capability] = [
    Capability("overview", overview.router, "overview", "sales:read"),
    Capability("products", products.router, "products", "sales:read"),
    Capability("forecast", forecast.router, "forecast", "sales:read", forecast.forecast_available,
               "forecasting is not installed in this build"),
    Capability("inventory", inventory.router, "inventory", "inventory:read"),
    Capability("customers", customers.router, "customers", "customers:read"),
    Capability("segments", APIRouter(), None, "customers:read", customers.segments_available,
               "customer segmentation is not installed in this build"),
    Capability("inventory_plan", APIRouter(), None, "inventory:read", inventory.plan_available,
               "inventory planning is not available yet in this build"),
    Capability("orders", orders.router, None, "orders:read"),
    Capability("quality", quality.router, "quality", "quality:read"),
    Capability("admin", admin.router, None, "keys:admin"),
]
