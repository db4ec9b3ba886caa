"""The dashboard: one HTML page, local JS/CSS (vendored Chart.js; no CDN), one script per capability page."""

from __future__ import annotations

from importlib import resources

__all__ = ["page_scripts"]


def page_scripts() -> list[str]:
    """The page scripts to load, in the order of the capability list (those that have a page)."""
    from shopops.api.routers import CAPABILITIES

    static = resources.files("shopops.web") / "static" / "pages"
    return [cap.page for cap in CAPABILITIES if cap.page and (static / f"{cap.page}.js").is_file()]
