"""Named RFM segments from documented rules on the recency and frequency scores."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["SEGMENT_RULES", "SegmentRule", "assign_segments", "segment_summary"]


@dataclass(frozen=True)
class SegmentRule:
    """A named segment: recency score in ``r`` and frequency score in ``f`` (inclusive ranges)."""

    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    meaning: str
    action: str

    def matches(self, r_score: pd.Series, f_score: pd.Series) -> pd.Series:
        """Which customers (by their scores) fall in this segment."""
        return r_score.between(*self.r) & f_score.between(*self.f)


# The widely used RFM grid on (recency score, frequency score); the rules are disjoint and cover all 25 cells.
SEGMENT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule("champions", (5, 5), (4, 5), "bought very recently and most often", "reward; early access"),
    SegmentRule("loyal", (3, 4), (4, 5), "buy often, recently enough", "upsell; loyalty programme"),
    SegmentRule("potential loyalists", (4, 5), (2, 3), "recent, a few orders", "membership; recommendations"),
    SegmentRule("new", (5, 5), (1, 1), "first order very recently", "onboarding; second-order offer"),
    SegmentRule("promising", (4, 4), (1, 1), "recent single order", "brand awareness; free trials"),
    SegmentRule("need attention", (3, 3), (3, 3), "middling recency and frequency", "limited-time offer"),
    SegmentRule("about to sleep", (3, 3), (1, 2), "lapsing, few orders", "reactivate with popular items"),
    SegmentRule("at risk", (1, 2), (3, 4), "used to buy often, not lately", "personal win-back e-mails"),
    SegmentRule("cannot lose them", (1, 2), (5, 5), "were among the best, long gone", "win back at any cost"),
    SegmentRule("hibernating", (1, 2), (1, 2), "long gone, few orders", "low-cost reactivation or let go"),
)


def assign_segments(rfm: pd.DataFrame) -> pd.DataFrame:
    """Add ``segment`` and a plain-language ``segment_reason`` to an RFM table."""
    out = rfm.copy()
    out["segment"] = pd.Series(pd.NA, index=out.index, dtype="string")
    meaning = pd.Series("", index=out.index, dtype="string")
    for rule in SEGMENT_RULES:
        hit = rule.matches(out["r_score"], out["f_score"]) & out["segment"].isna()
        out.loc[hit, "segment"] = rule.name
        meaning[hit] = rule.meaning
    out["segment_reason"] = (
        meaning + ": r_score " + out["r_score"].astype(str) + " (last purchase " + out["recency_days"].astype(str)
        + " days ago), f_score " + out["f_score"].astype(str) + " (" + out["frequency"].astype(str) + " orders)"
    )
    return out


def segment_summary(segments: pd.DataFrame) -> pd.DataFrame:
    """One row per segment: customers, share, revenue and mean recency/frequency/monetary."""
    grouped = segments.groupby("segment", observed=True)
    summary = pd.DataFrame({
        "customers": grouped.size(),
        "revenue": grouped["monetary"].sum(),
        "mean_recency_days": grouped["recency_days"].mean(),
        "mean_frequency": grouped["frequency"].mean(),
        "mean_monetary": grouped["monetary"].mean(),
    })
    summary["share"] = summary["customers"] / summary["customers"].sum()
    total_revenue = summary["revenue"].sum()
    summary["revenue_share"] = summary["revenue"] / total_revenue if total_revenue > 0 else 0.0
    order = {rule.name: i for i, rule in enumerate(SEGMENT_RULES)}
    summary = summary.reset_index()
    summary["_order"] = summary["segment"].map(order)
    cols = ["segment", "customers", "share", "revenue", "revenue_share", "mean_recency_days", "mean_frequency",
            "mean_monetary"]
    return summary.sort_values("_order")[cols].reset_index(drop=True)
