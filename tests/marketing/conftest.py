from __future__ import annotations

from pathlib import Path

import pytest

from shopops.simulate import MarketingSimulation, simulate_marketing

HILLSTROM = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hillstrom" / "hillstrom_email.parquet"


@pytest.fixture(scope="session")
def hillstrom_path() -> Path:
    if not HILLSTROM.is_file():
        pytest.skip(f"real data not found at {HILLSTROM}")
    return HILLSTROM


@pytest.fixture(scope="session")
def marketing_sim() -> MarketingSimulation:
    """Two years of six channels with known curves, an impression log and a randomised e-mail test."""
    return simulate_marketing(3, days=540, n_channels=6, impressions=120_000, contacts=20_000)
