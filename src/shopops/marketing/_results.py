"""The results of the marketing analyses: uplift targeting, click prediction, budgets and bandits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from shopops.result import Result

__all__ = ["BanditResult", "BudgetResult", "CtrResult", "UpliftResult"]


@dataclass(kw_only=True)
class UpliftResult(Result):
    """Whom to target by the estimated incremental effect, and how well the model ranks on a holdout.

    Attributes
    ----------
    targets : DataFrame
        ``customer_id, estimated_uplift, rank, reasons``: the customers to contact, most moved first.
    comparison : DataFrame
        One row per uplift method: Qini AUC, uplift AUC and uplift@10/20/30 % on the holdout.
    profit : DataFrame
        Incremental responses, value, cost and profit of contacting each top share (5 % steps).
    qini, uplift_curve : DataFrame
        ``share, model, random``: the holdout curves of the chosen model.
    """

    capability: ClassVar[str] = "marketing"
    targets: pd.DataFrame
    comparison: pd.DataFrame
    profit: pd.DataFrame
    qini: pd.DataFrame
    uplift_curve: pd.DataFrame

    def explain(self) -> str:
        """The model, its holdout scores beside the other methods, and the targeting decision."""
        m, p = self.metrics, self.params
        lines = [f"marketing: {self.model}",
                 f"holdout ({m['holdout_rows']:,} customers): Qini AUC {m['qini_auc']:.4f}, uplift@30% "
                 f"{m['uplift_at_30']:.4f}; average effect {m['average_effect']:.4f} "
                 f"(treated {m['treated_rate']:.4f}, control {m['control_rate']:.4f})",
                 "methods: " + ", ".join(f"{r.method} Qini {r.qini_auc:.4f}" for r in self.comparison.itertuples()),
                 f"target the top {p['top_share']:.0%} ({len(self.targets):,} customers); expected incremental "
                 f"profit {m['expected_incremental_profit']:,.2f} at {p['cost_per_contact']} per contact"]
        return "\n".join(lines)


@dataclass(kw_only=True)
class CtrResult(Result):
    """Click (or conversion) probabilities, calibrated, with holdout scores against the base rate.

    Attributes
    ----------
    comparison : DataFrame
        One row per model: AUC, log loss, Brier score, expected calibration error, and the base rate's log loss.
    calibration : DataFrame
        ``model, bin, predicted, observed, rows``: reliability of each model on the holdout.
    bidding : DataFrame
        Per campaign: mean predicted probability, value per conversion, expected value per impression
        and the implied maximum CPM bid.
    """

    capability: ClassVar[str] = "marketing"
    comparison: pd.DataFrame
    calibration: pd.DataFrame
    bidding: pd.DataFrame

    def explain(self) -> str:
        """Each model's holdout AUC and log loss beside the base rate."""
        lines = [f"marketing: {self.model}"]
        for r in self.comparison.itertuples():
            lines.append(f"{r.model}: AUC {r.auc:.4f}, log loss {r.log_loss:.4f} (base rate {r.base_log_loss:.4f}), "
                         f"calibration error {r.ece:.4f}")
        return "\n".join(lines)


@dataclass(kw_only=True)
class BudgetResult(Result):
    """A recommended budget allocation from fitted response curves, with intervals and marginal returns.

    Attributes
    ----------
    allocation : DataFrame
        One row per channel: current and recommended spend, expected conversions (5-95 % interval),
        marginal conversions per 1,000 and why.
    curves : DataFrame
        ``channel, daily_spend, conversions, low, high``: each fitted curve over a grid of daily spend.
    """

    capability: ClassVar[str] = "marketing"
    allocation: pd.DataFrame
    curves: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    def explain(self) -> str:
        """The expected outcome against the current allocation, and the channels kept at their budget."""
        m = self.metrics
        lines = [f"marketing: {self.model}",
                 f"total {self.params['total']:,.2f} over {self.params['days']} days: expected "
                 f"{m['expected_conversions']:,.1f} conversions (90 % interval {m['conversions_low']:,.1f} to "
                 f"{m['conversions_high']:,.1f}) against {m['current_conversions']:,.1f} with the current shares"]
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


@dataclass(kw_only=True)
class BanditResult(Result):
    """A day-by-day Thompson-sampling run over arms (creatives or campaigns).

    Attributes
    ----------
    daily : DataFrame
        ``day, arm, impressions, conversions, share, p_best, stopped``.
    arms : DataFrame
        Per arm: impressions, conversions, posterior mean, P(best) at the end, stopped on day.
    """

    capability: ClassVar[str] = "marketing"
    daily: pd.DataFrame
    arms: pd.DataFrame
