"""One family of errors, each with a message that says what to fix."""

from __future__ import annotations

__all__ = ["IngestError", "MappingError", "ShopopsError", "SourceError", "WarehouseError"]


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
