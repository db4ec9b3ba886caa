"""Marketing with a known truth: channel response curves, creatives that wear out, audiences, holdouts.

Every channel turns spend into conversions through a geometric carry-over (adstock, normalised so
that a steady daily spend ``x`` has an adstock of ``x``) and a Hill saturation curve
``beta * a**s / (a**s + half**s)``. Spend per channel moves between budget levels from week to week
(flighting), so its curve can be identified from the daily history. Creatives lose response
exponentially with their age. Audiences differ in base click rate and in how much each channel
moves them. The truth behind every number is returned beside the data (``marketing_truth``,
``ad_impression_truth``), so a model can be scored against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopops.simulate._seeds import stream

__all__ = ["AUDIENCES", "ChannelTruth", "MarketingSimulation", "adstock", "hill", "simulate_marketing"]

AUDIENCES = ("bargain_hunters", "loyal_regulars", "new_visitors", "lapsed_customers", "big_spenders")
_AUDIENCE_SHARE = np.array([0.25, 0.2, 0.3, 0.15, 0.1])
_AUDIENCE_LOGIT = np.array([-0.2, 0.5, -0.6, -0.4, 0.3])  # base click propensity
_DEVICES = ("mobile", "desktop", "tablet")
_DEVICE_LOGIT = np.array([0.0, 0.25, -0.15])
_BASE_CHANNELS = ("search", "social", "display", "email", "video", "affiliate", "shopping", "podcast",
                  "influencer", "radio", "tv", "ooh", "retargeting", "native", "sms", "push", "print",
                  "marketplace", "partner", "coupon")


def adstock(spend: np.ndarray, decay: float) -> np.ndarray:
    """Normalised geometric carry-over along the last axis: ``a_t = (1 - decay) x_t + decay a_{t-1}``."""
    out = np.empty_like(spend, dtype=np.float64)
    carry = np.zeros(spend.shape[:-1])
    for t in range(spend.shape[-1]):
        carry = (1.0 - decay) * spend[..., t] + decay * carry
        out[..., t] = carry
    return out


def hill(x: np.ndarray, beta: float, half: float, shape: float) -> np.ndarray:
    """Hill saturation: ``beta * x**shape / (x**shape + half**shape)`` (0 at no spend, ``beta`` at most)."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    xs = x ** shape
    return np.asarray(beta * xs / (xs + half ** shape), dtype=np.float64)


@dataclass(frozen=True)
class ChannelTruth:
    """The true response of one channel: conversions per day at a steady daily spend."""

    channel: str
    decay: float
    beta: float
    half: float
    shape: float
    value_per_conversion: float
    current_daily_spend: float

    def conversions(self, daily_spend: np.ndarray | float) -> np.ndarray:
        """Expected conversions per day at a steady daily spend."""
        return hill(np.asarray(daily_spend), self.beta, self.half, self.shape)


@dataclass(frozen=True)
class MarketingSimulation:
    """Everything :func:`simulate_marketing` generates, as canonical-table frames plus the truth."""

    channels: tuple[ChannelTruth, ...]
    campaigns: pd.DataFrame  # canonical ``campaigns``
    creatives: pd.DataFrame  # canonical ``ad_creatives``
    ad_stats: pd.DataFrame  # canonical ``ad_stats``: daily per campaign
    impressions: pd.DataFrame  # canonical ``ad_impressions``
    impression_truth: pd.DataFrame  # ``impression_id, click_probability, conversion_probability``
    contacts: pd.DataFrame  # canonical ``campaign_contacts`` (randomised holdout)
    truth: pd.DataFrame  # canonical ``marketing_truth`` (long: subject, parameter, value)

    def daily_channels(self) -> pd.DataFrame:
        """Daily spend and conversions per channel (the campaigns summed)."""
        return (self.ad_stats.groupby(["date", "channel"], as_index=False)[["spend", "conversions", "revenue"]]
                .sum().sort_values(["channel", "date"], ignore_index=True))


def _channel_truths(rng: np.random.Generator, n_channels: int, names: tuple[str, ...] | None = None,
                    ) -> tuple[ChannelTruth, ...]:
    if names is None:
        names = tuple(_BASE_CHANNELS[k] if k < len(_BASE_CHANNELS) else f"channel_{k + 1:02d}"
                      for k in range(n_channels))
    out = []
    for name in names:
        # Channels differ by orders of magnitude in size, as a shop's search and podcast budgets do.
        half = float(np.exp(rng.uniform(np.log(150.0), np.log(8000.0))))
        # Habitual budgets: some channels run well past their saturation point, others far below it.
        current = half * float(rng.choice([0.3, 0.6, 1.5, 3.0]))
        beta = float(half ** 0.6 * rng.lognormal(0.0, 0.5))
        out.append(ChannelTruth(channel=name, decay=float(rng.uniform(0.1, 0.7)), beta=beta, half=half,
                                shape=float(rng.uniform(0.9, 2.0)),
                                value_per_conversion=float(rng.uniform(40, 120)), current_daily_spend=current))
    return tuple(out)


def simulate_marketing(seed: int = 0, *, days: int = 365, n_channels: int = 6, start: str = "2024-01-01",
                       campaigns_per_channel: int = 2, creatives_per_campaign: int = 3,
                       impressions: int = 200_000, contacts: int = 40_000,
                       customer_ids: np.ndarray | None = None,
                       campaigns: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> MarketingSimulation:
    """Simulate a marketing history with a known truth.

    Parameters
    ----------
    seed : int
        The same seed gives the same data.
    days : int
        Days of daily history.
    n_channels : int
        Channels, each with its own adstock and saturation.
    start : str
        First day, YYYY-MM-DD.
    campaigns_per_channel, creatives_per_campaign : int
        Campaigns per channel and creatives per campaign.
    impressions : int
        Rows of the impression log (with the true click probability of each).
    contacts : int
        Customers in the randomised e-mail experiment (half of them held out at random).
    customer_ids : array of str, optional
        Customer ids to draw the impressions' and contacts' customers from (default: generated ids).
    campaigns : (ids, channel names, active days mask), optional
        Existing campaigns to give the spend to (a shop's own); default: ``campaigns_per_channel``
        campaigns per channel, running every day. Channels are then the campaigns' channels.

    Returns
    -------
    MarketingSimulation
    """
    if days < 28 or n_channels < 1:
        raise ValueError("simulate_marketing needs days >= 28 and n_channels >= 1")
    rng = stream(seed, "marketing")
    names = None if campaigns is None else tuple(dict.fromkeys(str(c) for c in campaigns[1]))
    truths = _channel_truths(rng, n_channels if names is None else len(names), names)
    dates = pd.date_range(start, periods=days, freq="D")
    if campaigns is None:
        ids = np.array([f"MKT{c + 1:02d}{k + 1}-{t.channel}" for c, t in enumerate(truths)
                        for k in range(campaigns_per_channel)])
        campaigns = (ids, np.repeat([t.channel for t in truths], campaigns_per_channel),
                     np.ones((len(ids), days), dtype=bool))
    table, creatives, stats = _campaigns_and_daily(rng, truths, dates, campaigns, creatives_per_campaign)
    if customer_ids is None:
        customer_ids = np.char.add("C", np.char.zfill(np.arange(1, max(contacts, 1000) + 1).astype(str), 6))
    channel_by_campaign = dict(zip(table["campaign_id"], table["channel"], strict=True))
    imps, imp_truth = _impressions(stream(seed, "marketing", 1), truths, creatives,
                                   lambda ids: np.array([channel_by_campaign[i] for i in ids]), dates, impressions,
                                   customer_ids)
    contact_frame, contact_truth = _contacts(stream(seed, "marketing", 2), dates, contacts, customer_ids)
    truth_rows = []
    for ch in truths:
        for parameter in ("decay", "beta", "half", "shape", "value_per_conversion", "current_daily_spend"):
            truth_rows.append(("channel", ch.channel, parameter, float(getattr(ch, parameter))))
    for row in creatives.itertuples(index=False):
        truth_rows.append(("creative", row.creative_id, "wearout_per_day", float(row.wearout_per_day)))
    truth_rows.extend(contact_truth)
    truth = pd.DataFrame(truth_rows, columns=["kind", "subject", "parameter", "value"])
    return MarketingSimulation(channels=truths, campaigns=table,
                               creatives=creatives.drop(columns=["wearout_per_day"]), ad_stats=stats,
                               impressions=imps, impression_truth=imp_truth, contacts=contact_frame, truth=truth)


_CHANNEL_CTR = {"search": (0.03, 0.07), "social": (0.006, 0.015), "display": (0.001, 0.004),
                "email": (0.02, 0.05)}


def _campaigns_and_daily(rng: np.random.Generator, truths: tuple[ChannelTruth, ...], dates: pd.DatetimeIndex,
                         campaigns: tuple[np.ndarray, np.ndarray, np.ndarray], per_campaign: int,
                         ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    days = len(dates)
    weeks = -(-days // 7)
    ids, channel_of, active = campaigns
    active = np.asarray(active, dtype=bool)[:, :days]
    campaign_rows, creative_rows, stat_frames = [], [], []
    for c, ch in enumerate(truths):
        mine = np.flatnonzero(np.asarray(channel_of) == ch.channel)
        # Weekly budget levels around the habitual spend: flighting makes the curve identifiable.
        level = ch.current_daily_spend * rng.choice([0.0, 0.4, 0.7, 1.0, 1.3, 1.8], size=weeks,
                                                    p=[0.05, 0.15, 0.2, 0.3, 0.2, 0.1])
        weights = rng.dirichlet(np.full(len(mine), 3.0))[:, None] * active[mine]
        running = weights.sum(axis=0)
        shares = np.divide(weights, running, out=np.zeros_like(weights), where=running > 0)
        spend = np.repeat(level, 7)[:days] * rng.lognormal(0.0, 0.1, days) * (running > 0)
        expected = ch.conversions(adstock(spend[None, :], ch.decay)[0])
        low, high = _CHANNEL_CTR.get(ch.channel, (0.005, 0.05))
        for j_campaign, k in enumerate(mine):
            campaign_id = str(ids[k])
            on = np.flatnonzero(active[k])
            if on.size == 0:
                continue
            holdout = ch.channel == "email" or (j_campaign == 0 and c % 3 == 0)
            campaign_rows.append((campaign_id, f"{ch.channel} campaign {j_campaign + 1}", ch.channel, "conversions",
                                  dates[on[0]].date(), dates[on[-1]].date(),
                                  float(ch.current_daily_spend * shares[j_campaign][on].mean()),
                                  bool(holdout), 0.1 if holdout else 0.0))
            # Creatives launch one after another; each loses response with its age.
            launches = np.sort(rng.integers(on[0], max(on[-1] - 7, on[0] + 1), size=per_campaign))
            launches[0] = on[0]
            wear = rng.uniform(0.002, 0.02, per_campaign)
            freshness = np.zeros(days)
            for j in range(per_campaign):
                age = np.arange(days) - launches[j]
                freshness = np.maximum(freshness, np.where(age >= 0, np.exp(-wear[j] * np.maximum(age, 0)), 0.0))
                creative_rows.append((f"{campaign_id}-CR{j + 1}", campaign_id, f"creative {j + 1}",
                                      dates[launches[j]].date(), float(wear[j])))
            share = shares[j_campaign]
            mean_conv = expected * share * (0.7 + 0.3 * freshness)
            conversions = rng.poisson(mean_conv)
            ctr = rng.uniform(low, high)
            cvr = rng.uniform(0.02, 0.08)
            clicks = np.maximum(rng.poisson(np.maximum(mean_conv, 0.05) / cvr), conversions)
            impressions = np.maximum(rng.poisson(np.maximum(clicks, 1) / ctr), clicks)
            revenue = (conversions * ch.value_per_conversion * rng.lognormal(0.0, 0.2, days)).round(2)
            stat_frames.append(pd.DataFrame({
                "date": dates.date, "campaign_id": campaign_id, "channel": ch.channel,
                "impressions": impressions.astype(np.int64), "clicks": clicks.astype(np.int64),
                "conversions": conversions.astype(np.int64), "spend": (spend * share).round(2),
                "revenue": revenue}).iloc[on])
    campaign_frame = pd.DataFrame(campaign_rows, columns=["campaign_id", "name", "channel", "objective", "started_at",
                                                          "ended_at", "daily_budget", "has_holdout", "holdout_share"])
    creatives = pd.DataFrame(creative_rows, columns=["creative_id", "campaign_id", "name", "launched_at",
                                                     "wearout_per_day"])
    return campaign_frame, creatives, pd.concat(stat_frames, ignore_index=True)


def _impressions(rng: np.random.Generator, truths: tuple[ChannelTruth, ...], creatives: pd.DataFrame,
                 channel_of_campaign: Callable[[np.ndarray], np.ndarray],
                 dates: pd.DatetimeIndex, n: int, customer_ids: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_aud, n_ch = len(AUDIENCES), len(truths)
    # Each audience responds differently to each channel: the interaction a model has to find.
    affinity = rng.normal(0.0, 0.5, (n_aud, n_ch))
    channel_logit = rng.normal(-3.3, 0.4, n_ch)
    creative_logit = rng.normal(0.0, 0.3, len(creatives))
    creative = rng.integers(0, len(creatives), n)
    campaign_channel = {ch.channel: k for k, ch in enumerate(truths)}
    camp_of = creatives["campaign_id"].to_numpy()
    channel = np.array([campaign_channel[c] for c in channel_of_campaign(camp_of)])[creative]
    launched = pd.to_datetime(creatives["launched_at"]).to_numpy()[creative]
    day0 = np.datetime64(dates[0].date(), "D")
    first = ((launched.astype("datetime64[D]") - day0).astype(int))
    day = first + (rng.random(n) * (len(dates) - first)).astype(int)
    age = day - first
    audience = rng.choice(n_aud, n, p=_AUDIENCE_SHARE)
    device = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    hour = rng.integers(0, 24, n)
    position = rng.integers(1, 6, n)
    evening = ((hour >= 18) & (hour <= 22)).astype(float)
    wear = creatives["wearout_per_day"].to_numpy()[creative]
    logit = (channel_logit[channel] + _AUDIENCE_LOGIT[audience] + affinity[audience, channel]
             + _DEVICE_LOGIT[device] + 0.3 * evening - 0.25 * (position - 1) + creative_logit[creative]
             - wear * age)
    p = 1.0 / (1.0 + np.exp(-logit))
    clicked = rng.random(n) < p
    conversion_given_click = 0.08 * (1.0 + 0.5 * (audience == 4))
    converted = clicked & (rng.random(n) < conversion_given_click)
    ts = (day0 + day.astype("timedelta64[D]")).astype("datetime64[us]") + (hour * 3600 + rng.integers(0, 3600, n)
                                                                          ).astype("timedelta64[s]")
    ids = np.char.add("IMP", np.char.zfill(np.arange(1, n + 1).astype(str), 9))
    frame = pd.DataFrame({
        "impression_id": ids, "ts": ts, "campaign_id": camp_of[creative],
        "creative_id": creatives["creative_id"].to_numpy()[creative], "channel": np.array(
            [t.channel for t in truths])[channel],
        "customer_id": customer_ids[rng.integers(0, len(customer_ids), n)],
        "audience": np.array(AUDIENCES)[audience], "device": np.array(_DEVICES)[device],
        "placement": position.astype(np.int64), "creative_age_days": age.astype(np.int64),
        "clicked": clicked, "converted": converted})
    return frame, pd.DataFrame({"impression_id": ids, "click_probability": p,
                                "conversion_probability": p * conversion_given_click})


def _contacts(rng: np.random.Generator, dates: pd.DatetimeIndex, n: int, customer_ids: np.ndarray,
              ) -> tuple[pd.DataFrame, list[tuple[str, str, str, float]]]:
    """A randomised e-mail experiment: a tenth held out, visits moved differently per customer."""
    campaign = "MKT-EMAIL-EXPERIMENT"
    audience = rng.choice(len(AUDIENCES), n, p=_AUDIENCE_SHARE)
    recency = rng.gamma(1.5, 60.0, n).round()
    frequency = 1 + rng.poisson(np.exp(0.5 + 0.4 * (audience == 1)), n)
    monetary = (rng.lognormal(4.0, 0.7, n) * frequency).round(2)
    base = -2.3 - 0.004 * recency + 0.15 * np.log(frequency) + _AUDIENCE_LOGIT[audience]
    # Lapsed customers and bargain hunters are moved most; loyal regulars come anyway; big spenders resent it.
    effect = np.array([0.6, 0.05, 0.3, 0.9, -0.3])[audience] * np.exp(-recency / 400.0)
    treated = rng.random(n) >= 0.5
    p0 = 1.0 / (1.0 + np.exp(-base))
    p1 = 1.0 / (1.0 + np.exp(-(base + effect)))
    visited = rng.random(n) < np.where(treated, p1, p0)
    converted = visited & (rng.random(n) < 0.12)
    revenue = np.where(converted, rng.lognormal(4.2, 0.5, n), 0.0).round(2)
    picked = customer_ids[rng.permutation(len(customer_ids))[:n]] if len(customer_ids) >= n else \
        np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    frame = pd.DataFrame({
        "campaign_id": campaign, "customer_id": picked, "contacted_at": dates[len(dates) // 2].date(),
        "arm": np.where(treated, "email", "control"), "is_control": ~treated, "randomised": True,
        "visited": visited, "converted": converted, "revenue": revenue, "recency_days": recency,
        "frequency": frequency.astype(np.int64), "monetary": monetary, "audience": np.array(AUDIENCES)[audience]})
    truth = [("contact", campaign, "mean_visit_uplift", float((p1 - p0).mean()))]
    truth += [("audience", AUDIENCES[a], "mean_visit_uplift", float((p1 - p0)[audience == a].mean()))
              for a in range(len(AUDIENCES))]
    return frame, truth
