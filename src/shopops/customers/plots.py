"""Figures of the customer analyses (PNG, matplotlib without a display)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

__all__ = ["plot_segments", "plot_tracking"]


def plot_segments(summary: pd.DataFrame, path: Path | str) -> Path:
    """Bar chart of customers and revenue share per named segment."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    y = range(len(summary))
    ax.barh([i + 0.2 for i in y], summary["share"] * 100, height=0.4, label="customers %", color="#4c72b0")
    ax.barh([i - 0.2 for i in y], summary["revenue_share"] * 100, height=0.4, label="revenue %", color="#dd8452")
    ax.set_yticks(list(y), summary["segment"])
    ax.invert_yaxis()
    ax.set_xlabel("% of customers / % of revenue")
    ax.legend(loc="lower right")
    ax.set_title("RFM segments")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_tracking(tracking: pd.DataFrame, path: Path | str, title: str,
                  calibration_periods: float | None = None) -> Path:
    """Weekly and cumulative repeat transactions, actual vs BG/NBD expectation."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    ax1.plot(tracking["period"], tracking["actual"], label="actual", color="black")
    ax1.plot(tracking["period"], tracking["expected"], label="BG/NBD", color="#dd8452", linestyle="--")
    ax1.set_title("weekly repeat transactions")
    ax2.plot(tracking["period"], tracking["actual_cum"], label="actual", color="black")
    ax2.plot(tracking["period"], tracking["expected_cum"], label="BG/NBD", color="#dd8452", linestyle="--")
    ax2.set_title("cumulative repeat transactions")
    for ax in (ax1, ax2):
        ax.set_xlabel("week")
        if calibration_periods is not None:
            ax.axvline(calibration_periods, color="grey", linewidth=0.8)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
