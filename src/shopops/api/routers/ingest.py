"""Uploading a file to ingest: the raw body or a form field, through the same validated ingest as the CLI."""

from __future__ import annotations

import re
import secrets
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from shopops.api._auth import principal, require
from shopops.api._common import Ctx, CtxDep
from shopops.api._errors import PayloadTooLargeError, TooManyRequestsError
from shopops.api._keys import Principal
from shopops.api.schemas import IngestOut
from shopops.errors import ShopopsError
from shopops.ingest.pipeline import IngestResult

__all__ = ["router"]

# The same OpenAPI tag as the quality endpoints: the upload answers with the data-quality report.
router = APIRouter(tags=["data quality"])
_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xls", ".jsonl", ".json", ".ndjson")
_ingest_lock = threading.Lock()  # one ingest at a time per process (the lake's writer lock covers processes)


def _upload_path(ctx: Ctx, filename: str) -> Path:
    name = Path(filename).name
    if not name.lower().endswith(_SUFFIXES):
        raise ShopopsError(f"filename {filename!r}: give the file's name with one of the extensions "
                           f"{', '.join(_SUFFIXES)} so its format is known")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-100:]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = ctx.shop.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{stamp}-{secrets.token_hex(3)}-{safe}"


def _result_out(result: IngestResult) -> dict[str, Any]:
    return {
        "batch_id": result.batch_id, "status": result.status, "adapter": result.adapter,
        "seconds": result.seconds, "warnings": result.warnings,
        "tables": [{"table": t.table, "rows_in": t.rows_in, "rows_ok": t.rows_ok,
                    "rows_quarantined": t.rows_quarantined, "duplicates": t.duplicates, "reasons": t.reasons,
                    "examples": t.examples[:20], "first": t.first, "last": t.last, "replaced": t.replaced,
                    "replaced_from": t.replaced_from, "unmapped_columns": t.unmapped_columns[:1000]}
                   for t in result.tables.values()],
    }


@router.post("/ingest", response_model=IngestOut, dependencies=[Depends(require("ingest:write"))],
             summary="Upload a file to ingest",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                 "multipart/form-data": {"schema": {"type": "object", "properties": {
                     "file": {"type": "string", "format": "binary"}}}}}}})
async def upload(
    request: Request, ctx: CtxDep, who: Annotated[Principal, Depends(principal)],
    filename: Annotated[str | None, Query(min_length=1, max_length=200, description="The file's name (its "
                                          "extension tells the format); a form upload brings its own.")] = None,
    adapter: Annotated[Literal["auto", "canonical", "online_retail", "olist", "cdnow"], Query()] = "auto",
    table: Annotated[str | None, Query(max_length=50, description="Canonical table (adapter=canonical).")] = None,
    encoding: Annotated[str | None, Query(max_length=40)] = None,
    delimiter: Annotated[str | None, Query(max_length=1)] = None,
) -> Any:
    """Upload a file: the raw request body (``--data-binary @f.csv``) or a form field (``-F file=@f.csv``).

    It goes through the same validated ingest as ``shopops ingest``: bad rows go to the quarantine and the
    answer is the data-quality report. Bodies over ``max_upload_mb`` get 413.
    """
    _check_quota(ctx, who, int(request.headers.get("content-length") or 0))
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        path, size = await _receive_form(request, ctx, filename)
    else:
        if not filename:
            raise ShopopsError("filename: give the file's name (e.g. ?filename=orders.csv) so its format is known")
        path, size = await _receive_raw(request, ctx, filename)
    try:
        if size == 0:
            raise ShopopsError("the upload is empty: send the file's bytes as the body or in a form field")

        def work() -> IngestResult:
            with _ingest_lock:
                return ctx.shop.ingest(path, adapter=adapter, table=table, encoding=encoding, delimiter=delimiter)

        result = await run_in_threadpool(work)
    except ShopopsError as exc:
        path.unlink(missing_ok=True)
        request.state.audit_detail = {"filename": path.name, "bytes": size, "error": _hide_paths(str(exc), ctx, path)}
        raise type(exc)(_hide_paths(str(exc), ctx, path)) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    request.state.audit_detail = {"filename": path.name, "bytes": size, "batch_id": result.batch_id,
                                  "status": result.status, "rows_quarantined": result.rows_quarantined}
    if result.status == "skipped":
        path.unlink(missing_ok=True)  # the same bytes are in the lake already: a duplicate is not kept
    await run_in_threadpool(sweep_uploads, ctx.shop.data_dir / "uploads", ctx.settings.upload_retention_days,
                            ctx.settings.uploads_max_mb, None if result.status == "skipped" else path)
    out = _result_out(result)
    out["warnings"] = [_hide_paths(w, ctx, path) for w in out["warnings"]]
    return out


def _hide_paths(message: str, ctx: Ctx, path: Path) -> str:
    """``message`` with the server's file paths replaced by the upload's name (clients never see server paths)."""
    for full in sorted({str(path.resolve()), str(path), str(ctx.shop.data_dir.resolve()),
                        str(ctx.shop.data_dir)}, key=len, reverse=True):
        message = message.replace(full + "/", "").replace(full, path.name)
    return message


def _check_quota(ctx: Ctx, who: Principal, declared: int) -> None:
    """Refuse with 429 when the key sent too many uploads this hour or too many bytes today."""
    now = datetime.now(UTC)
    path = "/api/v1/ingest"
    hourly, _ = ctx.keys.recent_writes(who.key_id, path, (now - timedelta(hours=1)).isoformat(timespec="seconds"))
    if hourly >= ctx.settings.uploads_per_hour:
        raise TooManyRequestsError(f"key {who.key_id}: at most {ctx.settings.uploads_per_hour} uploads per hour "
                                   "(SHOPOPS_UPLOADS_PER_HOUR); try again later", retry_after=600)
    _, daily = ctx.keys.recent_writes(who.key_id, path, (now - timedelta(days=1)).isoformat(timespec="seconds"))
    cap = int(ctx.settings.upload_mb_per_day * 2**20)
    if daily + declared > cap:
        raise TooManyRequestsError(f"key {who.key_id}: at most {ctx.settings.upload_mb_per_day:g} MB of uploads "
                                   f"per day (SHOPOPS_UPLOAD_MB_PER_DAY), {daily / 2**20:.1f} MB sent in the "
                                   "last 24 h", retry_after=3600)


def sweep_uploads(folder: Path, retention_days: float, max_mb: float, keep: Path | None = None) -> list[Path]:
    """Remove uploads older than ``retention_days``, then the oldest until the folder fits ``max_mb``.

    ``keep`` (the upload just ingested) stays unless the retention is 0. Returns the removed files.
    """
    if not folder.is_dir():
        return []
    files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime)
    removed = []
    cutoff = time.time() - retention_days * 86_400
    for p in files:
        if (retention_days <= 0 or p.stat().st_mtime < cutoff) and (p != keep or retention_days <= 0):
            p.unlink(missing_ok=True)
            removed.append(p)
    rest = [p for p in files if p not in removed]
    total = sum(p.stat().st_size for p in rest)
    for p in rest:
        if total <= max_mb * 2**20:
            break
        if p == keep:
            continue
        total -= p.stat().st_size
        p.unlink(missing_ok=True)
        removed.append(p)
    return removed


async def _receive_raw(request: Request, ctx: Ctx, filename: str) -> tuple[Path, int]:
    path = _upload_path(ctx, filename)
    limit = int(ctx.settings.max_upload_mb * 1024 * 1024)
    size = 0
    try:
        with path.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLargeError(f"the upload is larger than {ctx.settings.max_upload_mb:g} MB "
                                               "(SHOPOPS_MAX_UPLOAD_MB)")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size


async def _receive_form(request: Request, ctx: Ctx, filename: str | None) -> tuple[Path, int]:
    form = await request.form(max_files=1, max_fields=20)
    try:
        sent = next((v for v in form.values() if isinstance(v, UploadFile)), None)
        if sent is None:
            raise ShopopsError("the form has no file: send it in a file field (curl -F file=@orders.csv)")
        path = _upload_path(ctx, filename or sent.filename or "")
        try:
            with path.open("wb") as out:
                await run_in_threadpool(shutil.copyfileobj, sent.file, out, 1 << 20)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path, path.stat().st_size
    finally:
        await form.close()
