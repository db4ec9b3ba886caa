"""The marketing questions asked of a shop's warehouse (through the Reader)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from shopops.marketing._allocate import LinearBudgetConstraint
from shopops.marketing._bandit import ThompsonAllocator
from shopops.marketing._budget import recommend_budget
from shopops.marketing._ctr import CTR_MODELS, evaluate_ctr
from shopops.marketing._errors import MarketingDataError
from shopops.marketing._results import BanditResult, BudgetResult, CtrResult, UpliftResult
from shopops.marketing._targeting import target_uplift
from shopops.marketing._uplift import prepare_experiment
from shopops.warehouse import Reader

__all__ = ["CONTACT_FEATURES", "channel_history", "contacts", "creative_bandit", "shop_budget", "shop_ctr",
           "shop_uplift"]

CONTACT_FEATURES = ["recency_days", "frequency", "monetary", "audience"]


def channel_history(reader: Reader) -> pd.DataFrame:
    """Daily spend, conversions and revenue per channel from ``fact_ad``."""
    frame = reader.frame("SELECT date, channel, sum(spend) AS spend, sum(conversions) AS conversions, "
                         "sum(revenue) AS revenue FROM fact_ad GROUP BY date, channel ORDER BY channel, date")
    if frame.empty:
        raise MarketingDataError("the shop has no ad spend (ad_stats is empty): ingest the daily campaign "
                                 "performance first")
    return frame


def shop_budget(reader: Reader, total: float | None, *, days: int = 30,
                bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
                fixed: Mapping[str, float] | None = None, constraints: Sequence[LinearBudgetConstraint] = (),
                objective: str = "conversions", seed: int = 0) -> BudgetResult:
    """The recommended allocation of ``total`` over the next ``days`` across the shop's channels."""
    daily = channel_history(reader)
    return reader.cached(("marketing", "budget", total, days, repr(bounds), repr(fixed), repr(constraints),
                          objective, seed),
                         lambda: recommend_budget(daily, total, days=days, bounds=bounds, fixed=fixed,
                                                  constraints=constraints, objective=objective, seed=seed))


def contacts(reader: Reader, campaign_id: str | None = None) -> pd.DataFrame:
    """The customers of the shop's campaign experiments (``fact_campaign_contact``)."""
    frame = reader.frame("SELECT * FROM fact_campaign_contact WHERE (?::VARCHAR IS NULL OR campaign_id = ?)",
                         [campaign_id, campaign_id])
    if frame.empty:
        which = f"campaign {campaign_id!r}" if campaign_id else "any campaign"
        raise MarketingDataError(f"no campaign contacts for {which}: ingest campaign_contacts (customer, arm, "
                                 "outcome) of a campaign with a randomised holdout first")
    return frame


def shop_uplift(reader: Reader, *, campaign_id: str | None = None, outcome: str = "visited",
                treatment: str | None = None, method: str = "interaction", cost_per_contact: float = 0.0,
                value_per_response: float = 1.0, top_share: float | None = None, seed: int = 0) -> UpliftResult:
    """Whom to target in a campaign with a randomised holdout, by estimated uplift."""
    frame = contacts(reader, campaign_id)
    if campaign_id is None and frame["campaign_id"].nunique() > 1:
        raise MarketingDataError(f"several campaigns have contacts ({sorted(frame['campaign_id'].unique())}): "
                                 "name one")
    features = [c for c in CONTACT_FEATURES if frame[c].notna().any()]
    experiment = prepare_experiment(frame, outcome=outcome, features=features, treatment=treatment)

    def compute() -> UpliftResult:
        return target_uplift(experiment, method=method, seed=seed, cost_per_contact=cost_per_contact,
                             value_per_response=value_per_response, top_share=top_share)

    return reader.cached(("marketing", "uplift", campaign_id, outcome, treatment, method, cost_per_contact,
                          value_per_response, top_share, seed), compute)


def shop_ctr(reader: Reader, *, target: str = "clicked", seed: int = 0,
             models: tuple[str, ...] | None = None) -> CtrResult:
    """Click (or conversion) models fitted and scored on the shop's impression log."""
    if target not in ("clicked", "converted"):
        raise MarketingDataError(f"target must be 'clicked' or 'converted', not {target!r}")
    log = reader.frame("SELECT * FROM fact_ad_impression")
    if log.empty:
        raise MarketingDataError("the shop has no impression log (ad_impressions is empty)")
    value = reader.frame("SELECT sum(revenue) / nullif(sum(conversions), 0) AS v FROM fact_ad")["v"].iloc[0]
    return reader.cached(("marketing", "ctr", target, seed, models),
                         lambda: evaluate_ctr(log, target=target, seed=seed, models=models or CTR_MODELS,
                                              value_per_conversion=None if pd.isna(value) else float(value)))


def creative_bandit(reader: Reader, *, campaign_id: str | None = None, arm: str = "creative_id",
                    target: str = "clicked", seed: int = 0, discount: float = 0.98,
                    stop_below: float = 0.01) -> BanditResult:
    """Replay the impression log day by day through Thompson sampling: tomorrow's split and the arms to stop."""
    if arm not in ("creative_id", "campaign_id"):
        raise MarketingDataError(f"arm must be 'creative_id' or 'campaign_id', not {arm!r}")
    log = reader.frame(f"SELECT CAST(ts AS DATE) AS day, {arm} AS arm, count(*) AS shown, "
                       f"sum(CAST({target} AS INTEGER)) AS hits FROM fact_ad_impression "
                       "WHERE (?::VARCHAR IS NULL OR campaign_id = ?) GROUP BY ALL ORDER BY day, arm",
                       [campaign_id, campaign_id])
    if log.empty:
        raise MarketingDataError("no impressions to learn from" + (f" in campaign {campaign_id!r}" if campaign_id
                                                                  else ""))
    arms = sorted(log["arm"].astype(str).unique())
    policy = ThompsonAllocator(arms, seed=seed, discount=discount, stop_below=stop_below)
    rows: list[dict[str, object]] = []
    index = {a: k for k, a in enumerate(arms)}
    for day, group in log.groupby("day", sort=True):
        shown, hits = np.zeros(len(arms)), np.zeros(len(arms))
        for r in group.itertuples(index=False):
            shown[index[str(r.arm)]] = r.shown
            hits[index[str(r.arm)]] = r.hits
        policy.update(shown, hits)
        best = policy.p_best()
        rows.extend({"day": day, "arm": a, "impressions": int(shown[k]), "conversions": int(hits[k]),
                     "share": float(best[k]), "p_best": float(best[k]), "stopped": bool(policy.stopped_[k])}
                    for k, a in enumerate(arms))
    daily = pd.DataFrame(rows)
    final = daily[daily["day"] == daily["day"].max()]
    totals = log.groupby("arm").agg(impressions=("shown", "sum"), conversions=("hits", "sum")).reset_index()
    totals["rate"] = totals["conversions"] / totals["impressions"]
    totals = totals.merge(final[["arm", "p_best", "stopped"]], on="arm").rename(columns={"p_best": "next_share"})
    totals = totals.sort_values("next_share", ascending=False, ignore_index=True)
    return BanditResult(model="Thompson sampling replay (Beta-Bernoulli, discounted, losers stopped)",
                        params={"campaign_id": campaign_id, "arm": arm, "target": target, "seed": seed,
                                "discount": discount, "stop_below": stop_below},
                        metrics={"arms": len(arms), "stopped_arms": int(totals["stopped"].sum()),
                                 "days": int(daily["day"].nunique())}, daily=daily, arms=totals)
