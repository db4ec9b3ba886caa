"""The Hillstrom e-mail experiment (MineThatData, 2008) as campaign contacts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopops.marketing._errors import MarketingDataError

__all__ = ["HILLSTROM_ARMS", "HILLSTROM_FEATURES", "load_hillstrom"]

HILLSTROM_FEATURES = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]
HILLSTROM_ARMS = {"Mens E-Mail": "mens_email", "Womens E-Mail": "womens_email", "No E-Mail": "control"}
_COLUMNS = [*HILLSTROM_FEATURES, "segment", "visit", "conversion", "spend"]


def load_hillstrom(path: Path | str) -> pd.DataFrame:
    """Read the Hillstrom file (Parquet or CSV as published) as ``campaign_contacts`` rows with its features.

    The three randomised arms become ``arm`` = ``mens_email``, ``womens_email`` or ``control``;
    ``visit``, ``conversion`` and ``spend`` become ``visited``, ``converted`` and ``revenue``; the
    customers (the file has no ids) are numbered in file order. The original feature columns are kept.
    """
    path = Path(path)
    if not path.exists():
        raise MarketingDataError(f"{path}: no such file (the Hillstrom data is hillstrom_email.parquet)")
    raw = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise MarketingDataError(f"{path}: not the Hillstrom file, it lacks the column(s) {missing}")
    unknown = sorted(set(raw["segment"].astype(str)) - set(HILLSTROM_ARMS))
    if unknown:
        raise MarketingDataError(f"{path}: unknown segment value(s) {unknown}; expected {list(HILLSTROM_ARMS)}")
    out = raw[HILLSTROM_FEATURES].copy()
    out.insert(0, "campaign_id", "hillstrom-2008-03")
    out.insert(1, "customer_id", [f"H{k + 1:05d}" for k in range(len(raw))])
    out.insert(2, "arm", raw["segment"].map(HILLSTROM_ARMS))
    out["is_control"] = out["arm"] == "control"
    out["randomised"] = True
    out["visited"] = raw["visit"].astype(bool)
    out["converted"] = raw["conversion"].astype(bool)
    out["revenue"] = raw["spend"].astype(float)
    out["recency_days"] = raw["recency"].astype(float) * 30.4
    out["monetary"] = raw["history"].astype(float)
    return out
