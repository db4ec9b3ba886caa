"""Uploading a file to ingest: the raw body or a form field, through the same validated ingest as the CLI."""

from __future__ import annotations

import re
import secrets
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from shopops.api._auth import require
from shopops.api._common import Ctx, CtxDep
from shopops.api._errors import PayloadTooLargeError
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
    request: Request, ctx: CtxDep,
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
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    request.state.audit_detail = {"filename": path.name, "bytes": size, "batch_id": result.batch_id,
                                  "status": result.status, "rows_quarantined": result.rows_quarantined}
    return _result_out(result)


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
