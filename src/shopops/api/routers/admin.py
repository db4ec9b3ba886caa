"""API keys and the audit log (admin only)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from shopops.api._auth import require
from shopops.api._common import CtxDep, live
from shopops.api.schemas import ApiKeyCreated, ApiKeyOut, AuditOut, KeyCreate, Page
from shopops.opstore import change_token

__all__ = ["router"]

router = APIRouter(tags=["admin"], dependencies=[Depends(require("keys:admin"))])


@router.get("/keys", response_model=list[ApiKeyOut], summary="List API keys")
async def list_keys(ctx: CtxDep) -> Any:
    """Every key (never its secret); kept until the next write to the key store."""
    return await live(ctx, "keys", change_token(ctx.keys.path), lambda: [asdict(k) for k in ctx.keys.list_keys()],
                      list[ApiKeyOut])


@router.post("/keys", response_model=ApiKeyCreated, status_code=201, summary="Create an API key")
def create_key(ctx: CtxDep, request: Request, body: KeyCreate) -> Any:
    """Create a key; its secret is in this answer only."""
    record, secret = ctx.keys.create(body.role, body.name)
    request.state.audit_detail = {"key_id": record.key_id, "role": record.role, "name": record.name}
    return {**asdict(record), "key": secret}


@router.delete("/keys/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key")
def revoke_key(ctx: CtxDep, request: Request, key_id: Annotated[str, Path(max_length=40)]) -> Any:
    """Revoke a key at once (it stays listed as revoked)."""
    request.state.audit_detail = {"key_id": key_id}
    return asdict(ctx.keys.revoke(key_id))


@router.get("/audit", response_model=Page[AuditOut], summary="Audit log")
async def audit(ctx: CtxDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=10**12)] = 0) -> Any:
    """Every write (and attempted write): who, what, when, with which status; newest first."""
    def compute() -> dict[str, Any]:
        entries, total = ctx.keys.audit_log(limit, offset)
        return {"items": [asdict(e) for e in entries], "total": total, "limit": limit, "offset": offset}

    # Kept until the next write to the key store (every audited request is one).
    return await live(ctx, ("audit", limit, offset), change_token(ctx.keys.path), compute, Page[AuditOut])
