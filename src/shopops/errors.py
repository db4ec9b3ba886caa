"""One family of errors, each with a message that says what to fix."""

from __future__ import annotations

__all__ = ["CustomerDataError", "IngestError", "MappingError", "NoWarehouseError", "ShopopsError", "SourceError",
           "UnknownCustomerError", "WarehouseError"]


class ShopopsError(Exception):
    """Base class of every error shopops raises on purpose.

    The message is meant for the person running shopops: it names the file, column or setting
    at fault and, where possible, what to do about it.
    """


class SourceError(ShopopsError):
    """A source file cannot be read at all (missing, empty, corrupt, undecodable)."""


class MappingError(ShopopsError):
    """A column-mapping file is invalid or does not fit the source it is applied to."""


class IngestError(ShopopsError):
    """An ingest could not be committed; the lake and warehouse are left as they were."""


class WarehouseError(ShopopsError):
    """The warehouse could not be built or queried."""


class NoWarehouseError(WarehouseError):
    """There is no warehouse yet: nothing was ingested or simulated in this data directory."""


class CustomerDataError(ShopopsError):
    """The purchase history cannot support the requested analysis (too little data, bad columns)."""


class UnknownCustomerError(ShopopsError, KeyError):
    """A customer id that the warehouse does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
