"""Errors as JSON: a clear message for the client, never a stack trace; a 500 is logged as a bug."""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shopops.api._auth import AuthError, ForbiddenError
from shopops.api._keys import UnknownKeyError
from shopops.errors import NoWarehouseError, ShopopsError

__all__ = ["NotFoundError", "PayloadTooLargeError", "TooManyRequestsError", "install_error_handlers"]

log = logging.getLogger("shopops.api")


class NotFoundError(ShopopsError):
    """The requested record does not exist (404)."""


class PayloadTooLargeError(ShopopsError):
    """The request body is larger than the service accepts (413)."""


class TooManyRequestsError(ShopopsError):
    """The caller's key used up its write quota for now (429)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _body(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, "status": status, **extra}, status_code=status)


def _status_of(exc: ShopopsError) -> int:
    if isinstance(exc, NotFoundError | UnknownKeyError):
        return 404
    if isinstance(exc, PayloadTooLargeError):
        return 413
    if isinstance(exc, NoWarehouseError):
        return 503
    return 400


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a JSON answer."""

    @app.exception_handler(ShopopsError)
    async def shopops_error(_request: Request, exc: ShopopsError) -> JSONResponse:
        if isinstance(exc, TooManyRequestsError):
            response = _body(429, str(exc))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        return _body(_status_of(exc), str(exc))

    @app.exception_handler(AuthError)
    async def auth_error(_request: Request, exc: AuthError) -> JSONResponse:
        response = _body(401, str(exc))
        response.headers["WWW-Authenticate"] = "ApiKey"
        return response

    @app.exception_handler(ForbiddenError)
    async def forbidden(_request: Request, exc: ForbiddenError) -> JSONResponse:
        return _body(403, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in err.get("loc", ())), "problem": str(err.get("msg", ""))}
            for err in exc.errors()[:20]
        ]
        summary = "; ".join(f"{p['where']}: {p['problem']}" for p in problems[:5])
        return _body(422, f"invalid request: {summary}", problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint; the API is described at /docs"
        return _body(exc.status_code, message)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        incident = secrets.token_hex(6)
        log.exception("internal error %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
        return _body(500, f"internal error (incident {incident}); this is a bug, the server log has the details",
                     incident=incident)
