"""The shopops service: a FastAPI middle platform with roles, and the web dashboard on top of it.

``create_app(shop, settings)`` builds the ASGI app; ``serve`` runs it with uvicorn.
"""

from shopops.api._app import API_PREFIX, create_app
from shopops.api._auth import PERMISSIONS, ROLE_PERMISSIONS
from shopops.api._keys import KEYS_FILE, ROLES, ApiKey, AuditEntry, KeyStore, Principal
from shopops.api._serve import serve
from shopops.api._settings import ServiceSettings

__all__ = [
    "API_PREFIX",
    "KEYS_FILE",
    "PERMISSIONS",
    "ROLES",
    "ROLE_PERMISSIONS",
    "ApiKey",
    "AuditEntry",
    "KeyStore",
    "Principal",
    "ServiceSettings",
    "create_app",
    "serve",
]
