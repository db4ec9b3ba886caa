"""The FastAPI app: API under /api/v1, OpenAPI at /docs, the dashboard at /."""

from __future__ import annotations

import functools
import time
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopops import __version__
from shopops.api._auth import PERMISSIONS, ROLE_PERMISSIONS, allowed, principal
from shopops.api._common import Ctx, CtxDep
from shopops.api._errors import PayloadTooLargeError, install_error_handlers
from shopops.api._keys import KeyStore, Principal
from shopops.api._settings import ServiceSettings
from shopops.api.routers import CAPABILITIES
from shopops.api.schemas import CapabilityOut, Health, Me
from shopops.errors import ShopopsError
from shopops.opstore import GroupCommit
from shopops.shop import Shop

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_EVENTS_BODY = 8 * 2**20


class _BodyLimit:
    """Refuse bodies over the limit with 413.

    A declared length is checked before anything is read; a body without one (chunked) is counted while
    it streams and stopped when it passes the limit.
    """

    def __init__(self, app: ASGIApp, small: int, upload: int) -> None:
        self.app, self.small, self.upload = app, small, upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            limit = self.upload if scope["path"] == f"{API_PREFIX}/ingest" else self.small
            if scope["path"] == f"{API_PREFIX}/events":  # a batch of a few thousand events
                limit = max(self.small, _EVENTS_BODY)
            for name, value in scope.get("headers", []):
                if name == b"content-length":
                    try:
                        length = int(value)
                    except ValueError:
                        length = -1
                    if length < 0 or length > limit:
                        message = (f"request body of {value.decode(errors='replace')[:20]} bytes refused: "
                                   f"at most {limit:,} bytes here")
                        response = JSONResponse({"error": message, "status": 413}, status_code=413)
                        await response(scope, receive, send)
                        return
            received = 0

            async def counting() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise PayloadTooLargeError(
                            f"request body refused: at most {limit:,} bytes ({limit / 2**20:.3g} MB) here")
                return message

            await self.app(scope, counting, send)
            return
        await self.app(scope, receive, send)


class _AuditWrites:
    """Record every write under /api/v1 (who, what, when, status) in the audit log; add safe headers.

    A plain ASGI middleware: reads pass straight through at almost no cost.
    """

    def __init__(self, app: ASGIApp, keys: KeyStore, writes: GroupCommit, shop: Shop | None = None) -> None:
        self.app, self.keys, self.shop = app, keys, shop
        # Entries of concurrent requests are committed together (one transaction per group, not per request).
        self.writes = writes
        self._stale: tuple[float, list[tuple[bytes, bytes]]] = (-1.0, [])
        self._judging = False

    async def _stale_headers(self, fresh: bool) -> list[tuple[bytes, bytes]]:
        """Headers that tell a client the warehouse answers from an older state than the lake holds.

        Reads reuse the answer of the last half second; the check itself (file-system calls, tens of
        milliseconds on a busy machine) runs in the thread pool, never on the event loop.
        A write's answer is judged afresh, as it may just have rebuilt the warehouse.
        """
        if self.shop is None:
            return []
        now = time.monotonic()
        if not fresh and (now - self._stale[0] < 0.5 or self._judging):  # one check at a time for reads
            return self._stale[1]
        self._judging = True
        try:
            headers = await run_in_threadpool(self._judge, self.shop)
        finally:
            self._judging = False
        self._stale = (now, headers)
        return headers

    @staticmethod
    def _judge(shop: Shop) -> list[tuple[bytes, bytes]]:
        status = shop.status()
        message = status.message()
        if message is None:
            return []
        return [(b"x-warehouse-stale", message.encode("ascii", "replace")),
                (b"x-warehouse-missing-batches", str(status.missing_batches).encode()),
                (b"x-warehouse-built-at", (status.built_at or "").encode("ascii", "replace"))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                # Judged when the answer is ready, so an upload's answer reflects the build it triggered.
                stale = (await self._stale_headers(scope["method"] in _WRITES) if path.startswith(API_PREFIX)
                         else [])
                message["headers"] = [*message["headers"], (b"x-content-type-options", b"nosniff"), *stale]
            await send(message)

        if scope["method"] not in _WRITES or not path.startswith(API_PREFIX):
            await self.app(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            state = scope.get("state", {})
            who = state.get("principal")
            if who is None and status == 413:  # refused before the key was checked: name it if it is valid
                secret = dict(scope.get("headers", [])).get(b"x-api-key", b"").decode(errors="replace")
                who = await run_in_threadpool(self.keys.verify, secret) if secret else None
                state["audit_detail"] = {"refused": "body too large",
                                         "declared_bytes": dict(scope.get("headers", [])).get(b"content-length",
                                                                                             b"").decode()}
            entry = functools.partial(
                KeyStore.audit_into, principal=who if isinstance(who, Principal) else None, method=scope["method"],
                path=path, action=f"{scope['method']} {path.removeprefix(API_PREFIX)}", status=status,
                detail=state.get("audit_detail"))
            await self.writes.run(entry)


def _meta_router() -> APIRouter:
    router = APIRouter(tags=["meta"])

    # Both answer on the event loop: a thread hop cost more than the answer (a few file stats).
    @router.get("/health", response_model=Health, summary="Liveness (no key needed)")
    async def health(ctx: CtxDep) -> Any:
        try:
            ctx.reader.identity()
            has_warehouse = True
        except ShopopsError:
            has_warehouse = False
        state = ctx.shop.status()
        return {"status": "ok", "version": __version__, "warehouse": has_warehouse,
                "currency": ctx.shop.settings.currency, "stale": state.stale, "stale_reason": state.message(),
                "missing_batches": state.missing_batches, "built_at": state.built_at}

    @router.get("/me", response_model=Me, summary="Who am I")
    async def me(who: Annotated[Principal, Depends(principal)]) -> Any:
        return {"key_id": who.key_id, "name": who.name, "role": who.role,
                "permissions": sorted(ROLE_PERMISSIONS[who.role])}

    @router.get("/capabilities", response_model=list[CapabilityOut], summary="Capabilities and dashboard pages")
    async def capabilities(who: Annotated[Principal, Depends(principal)]) -> Any:
        return [{"name": cap.name, "page": cap.page or "", "permission": cap.permission,
                 "allowed": allowed(who.role, cap.permission)} for cap in CAPABILITIES]

    return router


def create_app(shop: Shop, settings: ServiceSettings | None = None) -> FastAPI:
    """The service for ``shop``: API, OpenAPI docs and dashboard in one ASGI app.

    Parameters
    ----------
    shop : Shop
        The shop whose warehouse is served (its data directory also holds the API keys).
    settings : ServiceSettings or None
        Limits and bind address; from ``SHOPOPS_*`` environment variables when None.
    """
    settings = settings or ServiceSettings()
    keys = KeyStore.for_data_dir(shop.data_dir)
    app = FastAPI(title="shopops", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=f"{API_PREFIX}/openapi.json",
                  description="The shopops middle platform. Send an API key in the `X-API-Key` header "
                              f"(`shopops keys create`). Roles: {', '.join(ROLE_PERMISSIONS)}; permissions: "
                              + "; ".join(f"{k} ({v})" for k, v in PERMISSIONS.items()) + ".")
    app.state.keys = keys
    app.state.ctx = Ctx(shop, shop.reader, keys, settings)
    install_error_handlers(app)

    # The last added runs first: the audit wraps the body limit, so a refused oversize body is logged too.
    app.add_middleware(_BodyLimit, small=settings.max_body_kb * 1024,
                       upload=int(settings.max_upload_mb * 1024 * 1024))
    app.add_middleware(_AuditWrites, keys=keys, shop=shop, writes=app.state.ctx.writes)
    app.include_router(_meta_router(), prefix=API_PREFIX)
    for cap in CAPABILITIES:
        app.include_router(cap.router, prefix=API_PREFIX)
    _mount_dashboard(app)
    _mount_docs(app)
    return app


#: The OpenAPI page loads Swagger UI from files a pinned package ships, never from a CDN.
_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shopops API</title>
<link rel="icon" href="/docs-assets/favicon.png"><link rel="stylesheet" href="/docs-assets/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script>
</body></html>"""
_DOCS_INIT = """window.ui = SwaggerUIBundle({url: "%s", dom_id: "#swagger-ui", deepLinking: true,
  persistAuthorization: true, layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]});"""


def _mount_docs(app: FastAPI) -> None:
    """/docs: Swagger UI from local files, under a Content-Security-Policy that allows nothing else."""
    assets = resources.files("fastapi_offline") / "static"
    app.mount("/docs-assets", StaticFiles(directory=str(assets)), name="docs-assets")
    # Swagger UI sets inline styles on its elements; scripts and fetches stay on this origin.
    policy = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
              "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
    init = _DOCS_INIT % app.openapi_url

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_HTML, headers={"Content-Security-Policy": policy})

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(init, media_type="text/javascript", headers={"Content-Security-Policy": policy})


def _mount_dashboard(app: FastAPI) -> None:
    from shopops.web import page_scripts

    static = resources.files("shopops.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    env = Environment(loader=PackageLoader("shopops.web", "templates"), autoescape=select_autoescape())
    pages = page_scripts([cap.page for cap in CAPABILITIES if cap.page])
    html = env.get_template("index.html.j2").render(pages=pages, version=__version__)

    # The browser itself refuses anything not served by this process: scripts, styles, fetches, fonts.
    policy = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
              "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

    @app.get("/", include_in_schema=False)
    def dashboard() -> HTMLResponse:
        return HTMLResponse(html, headers={"Cache-Control": "no-cache", "Content-Security-Policy": policy})

