"""The service: ``shopops serve`` and ``shopops keys create | list | revoke``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated

import pandas as pd
import typer

from shopops.cli._app import DataOpt, FormatOpt, app, console, emit, err_console, serve_dashboard
from shopops.shop import Shop

__all__ = ["keys_app", "keys_create", "keys_list", "keys_revoke", "serve"]

keys_app = typer.Typer(no_args_is_help=True, help="API keys of the service (stored hashed; shown once).")
app.add_typer(keys_app, name="keys")


@app.command()
def serve(
    data: DataOpt = None,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8321,
) -> None:
    """Serve the HTTP API (/api/v1, docs at /docs) and the web dashboard."""
    serve_dashboard(Shop.open(data), host, port)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, analyst, operator, agent or viewer.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    data: DataOpt = None,
) -> None:
    """Create an API key and print it (once: only a salted hash is stored)."""
    from shopops.api import KeyStore

    record, secret = KeyStore.for_data_dir(Shop.open(data).data_dir).create(role, name)
    err_console.print(f"created key {record.key_id} ({record.role}, {record.name}); it is shown only now:")
    sys.stdout.write(secret + "\n")


@keys_app.command("list")
def keys_list(data: DataOpt = None, fmt: FormatOpt = "table") -> None:
    """List the API keys (ids, names, roles; never the secrets)."""
    from shopops.api import KeyStore

    keys = KeyStore.for_data_dir(Shop.open(data).data_dir).list_keys()
    emit(pd.DataFrame([asdict(k) for k in keys], columns=["key_id", "name", "role", "created_at", "revoked_at"]),
         fmt, "API keys")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from `shopops keys list`).")],
                data: DataOpt = None) -> None:
    """Revoke an API key at once."""
    from shopops.api import KeyStore

    record = KeyStore.for_data_dir(Shop.open(data).data_dir).revoke(key_id)
    console.print(f"revoked {record.key_id} ({record.role}, {record.name}) at {record.revoked_at}")
