"""The SQL models shipped with shopops: the files under ``warehouse/models``, in build order."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources

__all__ = ["Model", "load_models", "models_fingerprint"]


@dataclass(frozen=True)
class Model:
    """One SQL model: a SELECT (DuckDB dialect) materialised as table ``name``."""

    name: str
    sql: str
    description: str


def load_models() -> list[Model]:
    """The SQL models shipped with shopops, in build order (file name order)."""
    folder = resources.files("shopops.warehouse") / "models"
    models = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        text = entry.read_text(encoding="utf-8")
        name = entry.name.removesuffix(".sql").split("_", 1)[1]
        first = text.splitlines()[0] if text else ""
        description = first.removeprefix("--").strip().split(":", 1)[-1].strip()
        models.append(Model(name, text, description))
    return models


@functools.cache  # the shipped files do not change while the process runs; asked on every API answer
def models_fingerprint() -> str:
    """A hash of the shipped SQL models: a warehouse built by other models is out of date."""
    digest = hashlib.sha256()
    for model in load_models():
        digest.update(model.name.encode() + b"\0" + model.sql.encode() + b"\0")
    return digest.hexdigest()[:16]
