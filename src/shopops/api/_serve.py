"""Run the service with uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shopops.api._settings import ServiceSettings
from shopops.shop import Shop

__all__ = ["serve"]


def serve(shop: Shop, settings: ServiceSettings | None = None, *,
          on_ready: Callable[[str], None] | None = None, log_level: str = "warning") -> None:
    """Serve the API and dashboard for ``shop`` until interrupted (binds 127.0.0.1 unless configured)."""
    import uvicorn

    from shopops.api._app import create_app

    settings = settings or ServiceSettings()
    app = create_app(shop, settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level,
                            access_log=False, server_header=False)
    url = f"http://{settings.host}:{settings.port}/"

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets)
            if on_ready is not None and self.started:  # announce the URL only once it answers
                on_ready(url)

    _Server(config).run()
