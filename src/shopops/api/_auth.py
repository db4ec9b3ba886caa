"""Who may do what: roles, permissions and the FastAPI dependency that checks them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from shopops.api._keys import ROLES, KeyStore, Principal

__all__ = ["PERMISSIONS", "ROLE_PERMISSIONS", "AuthError", "ForbiddenError", "allowed", "principal", "require"]

# permission -> what it lets a caller do
PERMISSIONS: dict[str, str] = {
    "sales:read": "KPIs, overview, products, categories, forecasts",
    "orders:read": "orders and their lines",
    "customers:read": "customers (pseudonymised), segments, recommendations",
    "inventory:read": "stock on hand, purchase plans, stock alerts",
    "quality:read": "data-quality reports, quarantine, ingest runs",
    "ingest:write": "upload a file to ingest",
    "keys:admin": "create, list and revoke API keys; read the audit log",
    "events:write": "post live events (POST /events)",
    "monitor:read": "live KPIs, the live stream, alerts",
    "monitor:operate": "acknowledge alerts, silence rules",
    "orders:decide": "triage an order; approve or cancel held orders",
    "support:chat": "send customer messages to the answer bot",
    "support:agent": "work the support queue: tickets, replies, suggested FAQ entries",
    "marketing:read": "budgets, uplift targeting lists, click models, creative bandits",
    "marketing:write": "store targeting lists and budgets as decisions",
}

# Roles by department: an analyst reads everything, an operator runs stock and ingest, a customer-service
# agent sees orders and customers and works the support queue, a viewer sees the shop's figures but no customer
# or order records, and a website's chat back end (chat) may only send messages to the bot.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "analyst": frozenset({"sales:read", "orders:read", "customers:read", "inventory:read", "quality:read",
                          "marketing:read", "marketing:write"}),
    "operator": frozenset({"sales:read", "orders:read", "inventory:read", "quality:read", "ingest:write",
                           "orders:decide"}),
    "agent": frozenset({"orders:read", "customers:read", "support:agent", "support:chat"}),
    "viewer": frozenset({"sales:read", "inventory:read"}),
    "ingest": frozenset({"events:write"}),
    "chat": frozenset({"support:chat"}),
}
# The live monitor: everyone who sees figures sees it live; operators also post events and handle alerts.
for _role in ("analyst", "operator", "viewer"):
    ROLE_PERMISSIONS[_role] |= {"monitor:read"}
ROLE_PERMISSIONS["operator"] |= {"events:write", "monitor:operate"}
assert set(ROLE_PERMISSIONS) == set(ROLES)

_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key from `shopops keys create`.")


class AuthError(Exception):
    """No valid API key (answered with 401)."""


class ForbiddenError(Exception):
    """A valid key whose role may not do this (answered with 403)."""


def allowed(role: str, permission: str) -> bool:
    """Whether ``role`` has ``permission``."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def _key_from(request: Request, header: str | None) -> str | None:
    if header:
        return header
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


async def principal(request: Request, api_key: Annotated[str | None, Security(_header)]) -> Principal:
    """A dependency: the caller of any valid key, else 401.

    Async on purpose: a key verified in the last seconds is answered from memory without a thread hop;
    only a lookup in the SQLite file goes to the thread pool.
    """
    secret = _key_from(request, api_key)
    if not secret:
        raise AuthError("an API key is required: send it in the X-API-Key header "
                        "(create one with `shopops keys create --role viewer --name NAME`)")
    store: KeyStore = request.app.state.keys
    who = store.recently_verified(secret)
    if who is None:
        who = await run_in_threadpool(store.verify, secret)
    if who is None:
        raise AuthError("the API key is not valid (unknown or revoked)")
    request.state.principal = who
    return who


def require(permission: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that returns the caller, or answers 401 (no valid key) / 403 (role not allowed)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    async def dependency(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not allowed(who.role, permission):
            raise ForbiddenError(f"role {who.role!r} may not do this (needs {permission}: "
                                 f"{PERMISSIONS[permission]})")
        return who

    return dependency
