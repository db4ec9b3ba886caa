"""ABC classes (share of sales value) and XYZ classes (variability of weekly demand)."""

from __future__ import annotations

import numpy as np

__all__ = ["abc_classes", "weekly_cv", "xyz_classes"]


def abc_classes(value: np.ndarray, a_share: float = 0.8, b_share: float = 0.95) -> np.ndarray:
    """ABC class of each product by its share of the total sales value.

    The products that make the first ``a_share`` of the value (largest first) are A, those up to
    ``b_share`` are B, the rest C. A product without sales is C.
    """
    value = np.nan_to_num(np.asarray(value, dtype=float), nan=0.0).clip(min=0.0)
    order = np.argsort(-value, kind="stable")
    total = value.sum()
    cum = np.cumsum(value[order]) / total if total > 0 else np.ones(len(value))
    # A product is A when the value *before* it is still under the A share (so the top seller is A).
    before = np.concatenate([[0.0], cum[:-1]])
    cls_sorted = np.where(before < a_share, "A", np.where(before < b_share, "B", "C"))
    cls_sorted[value[order] <= 0] = "C"
    out = np.empty(len(value), dtype=object)
    out[order] = cls_sorted
    return out


def weekly_cv(units: np.ndarray) -> np.ndarray:
    """Coefficient of variation of weekly demand per product (inf when nothing was sold)."""
    n, days = units.shape
    weeks = days // 7
    if weeks == 0:
        return np.full(n, np.inf)
    weekly = units[:, days - weeks * 7:].reshape(n, weeks, 7).sum(axis=2)
    mean = weekly.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, weekly.std(axis=1) / mean, np.inf)


def xyz_classes(units: np.ndarray, x_cv: float = 0.5, y_cv: float = 1.0) -> np.ndarray:
    """XYZ class of each product: X steady (weekly CV under ``x_cv``), Y variable, Z erratic (CV ≥ ``y_cv``)."""
    cv = weekly_cv(units)
    return np.where(cv < x_cv, "X", np.where(cv < y_cv, "Y", "Z")).astype(object)
