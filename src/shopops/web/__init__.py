"""The dashboard: one HTML page, local JS/CSS (vendored Chart.js; no CDN), one script per capability page."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources

__all__ = ["page_scripts"]


def page_scripts(pages: Iterable[str]) -> list[str]:
    """The page scripts to load: those of ``pages`` (in their order) that the dashboard has a script for."""
    static = resources.files("shopops.web") / "static" / "pages"
    return [page for page in pages if (static / f"{page}.js").is_file()]
