"""The errors of the marketing capability."""

from __future__ import annotations

from shopops.errors import ShopopsError

__all__ = ["MarketingDataError"]


class MarketingDataError(ShopopsError):
    """Marketing data or a request that cannot support the analysis (bad spend, no control group, bad bounds)."""
