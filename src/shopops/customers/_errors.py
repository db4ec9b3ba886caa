"""Errors of the customers and recommendations capabilities."""

from __future__ import annotations

from shopops.errors import ShopopsError

__all__ = ["CustomerDataError", "UnknownCustomerError"]


class CustomerDataError(ShopopsError):
    """The purchase history cannot support the requested analysis (too little data, bad columns)."""


class UnknownCustomerError(ShopopsError, KeyError):
    """A customer id that the warehouse does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
