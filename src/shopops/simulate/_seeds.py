"""Independent, reproducible random streams, one per part of the simulation.

Every stream is derived from the config's seed and a fixed name (and optionally a chunk
number), so adding a new stream or changing how much one part draws never shifts the numbers
another part gets.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["stream"]


def stream(seed: int, name: str, *index: int) -> np.random.Generator:
    """A generator for the part called ``name`` (and chunk ``index``) of the run seeded ``seed``."""
    key = (zlib.crc32(name.encode()), *index)
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))
