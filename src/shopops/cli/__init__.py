"""The ``shopops`` command line (Typer): one module per capability, one app, one error handler.

``app`` is the Typer application, ``main`` the console-script entry point (``shopops = "shopops.cli:main"``).
"""

from shopops.cli._app import app

# Importing a module registers its commands on `app`; `shopops --help` lists them in this order.
# isort: off
from shopops.cli import data, demo, service, customers, inventory, forecast, recommend  # noqa: F401
from shopops.cli import orders, support, marketing, monitor  # noqa: F401
# isort: on

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
