"""Ad campaigns and their daily performance.

Campaigns run on search, social, display or e-mail, always-on or in bursts (many around Black
Friday and Christmas). Each day's expected conversions follow the shop's activity; clicks and
impressions are derived backwards from channel-typical conversion and click-through rates, then
drawn forwards (Poisson impressions, binomial clicks and conversions), so CTR and CVR are real,
campaign-specific rates a model can estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from shopops.schema import TABLES
from shopops.simulate._calendar import black_friday, epoch_day
from shopops.simulate._config import SimulationConfig
from shopops.simulate._seeds import stream
from shopops.simulate._text import choose, digits, join
from shopops.simulate._types import BoolArray, FloatArray, IntArray

__all__ = ["AD_CHANNELS", "Campaigns", "ads_table", "make_campaigns"]

AD_CHANNELS = ("search", "social", "display", "email")
_CHANNEL_SHARE = np.array([0.4, 0.3, 0.15, 0.15])
_CTR = np.array([(0.03, 0.07), (0.006, 0.015), (0.001, 0.004), (0.02, 0.05)])
_CVR = np.array([(0.03, 0.05), (0.01, 0.02), (0.005, 0.01), (0.04, 0.06)])
_CPC = np.array([(0.4, 1.2), (0.3, 0.8), (0.0, 0.0), (0.0, 0.0)])
_CPM = np.array([0.0, 0.0, 3.0, 0.5])  # display is bought per thousand views; e-mail costs per send
_ATTRIBUTED_SHARE = 0.25  # share of all orders the campaigns together claim


@dataclass(frozen=True)
class Campaigns:
    """Ad campaigns: channel, rates and the days they run (days from the start)."""

    campaign_id: pa.Array
    channel: IntArray  # index into AD_CHANNELS
    ctr: FloatArray
    cvr: FloatArray
    cpc: FloatArray
    weight: FloatArray  # share of the attributed conversions while running
    active: BoolArray  # (campaigns, days)

    def __len__(self) -> int:
        return int(self.channel.size)


def make_campaigns(config: SimulationConfig, first_day: int) -> Campaigns:
    """Draw ``config.n_campaigns`` campaigns over the period."""
    rng = stream(config.seed, "campaigns")
    n, days = config.n_campaigns, config.days
    channel = rng.choice(len(AD_CHANNELS), size=n, p=_CHANNEL_SHARE)
    active = np.zeros((n, days), dtype=bool)
    always_on = rng.random(n) < 0.4
    always_on[0] = True  # at least the brand search campaign runs all the time
    channel[0] = 0
    peaks = [epoch_day(black_friday(y)) - first_day for y in range(config.start.year, config.end.year + 1)]
    for k in range(n):
        if always_on[k]:
            start = int(rng.integers(0, max(days // 6, 1)))
            active[k, start:] = True
            continue
        length = int(rng.integers(14, 61))
        if rng.random() < 0.5 and peaks:  # a seasonal push around Black Friday and Christmas
            start = int(rng.choice(peaks)) - int(rng.integers(0, 21))
        else:
            start = int(rng.integers(-length // 2, days))
        active[k, max(start, 0):max(min(start + length, days), 0)] = True

    def pick(ranges: FloatArray) -> FloatArray:
        low, high = ranges[channel, 0], ranges[channel, 1]
        return np.asarray(low + rng.random(n) * (high - low), dtype=np.float64)

    names = np.array(AD_CHANNELS)[channel]
    return Campaigns(
        campaign_id=join("CMP", digits(np.arange(1, n + 1), 2), "-", pa.array(names)),
        channel=channel,
        ctr=pick(_CTR),
        cvr=pick(_CVR),
        cpc=pick(_CPC).round(2),
        weight=rng.lognormal(0.0, 0.6, n),
        active=active,
    )


def ads_table(campaigns: Campaigns, orders_per_day: FloatArray, value_per_order: float, first_day: int,
              first: int, last: int, rng: np.random.Generator) -> pa.Table:
    """``ad_stats`` rows of the campaigns running on days ``first`` to ``last - 1``."""
    active = campaigns.active[:, first:last]
    k, day = np.nonzero(active.T)[::-1]  # day-major rows
    running_weight = (campaigns.weight[:, None] * campaigns.active).sum(axis=0)[first:last]
    share = campaigns.weight[k] / np.maximum(running_weight[day], 1e-12)
    expected_conversions = _ATTRIBUTED_SHARE * orders_per_day[first + day] * share
    noise = rng.lognormal(0.0, 0.15, k.size)
    ctr, cvr = campaigns.ctr[k], campaigns.cvr[k]
    impressions = rng.poisson(expected_conversions * noise / (ctr * cvr))
    clicks = rng.binomial(impressions, ctr)
    conversions = rng.binomial(clicks, cvr)
    channel = campaigns.channel[k]
    spend = np.where(_CPM[channel] > 0, impressions * _CPM[channel] / 1000.0,
                     clicks * campaigns.cpc[k] * rng.lognormal(0.0, 0.1, k.size)).round(2)
    revenue = (conversions * value_per_order * rng.lognormal(0.0, 0.25, k.size)).round(2)
    return pa.Table.from_arrays([
        pa.array((first_day + first + day).astype(np.int32), type=pa.date32()),
        campaigns.campaign_id.take(pa.array(k)),
        choose(AD_CHANNELS, channel),
        pa.array(impressions.astype(np.int64)),
        pa.array(clicks.astype(np.int64)),
        pa.array(conversions.astype(np.int64)),
        pa.array(spend),
        pa.array(revenue),
    ], schema=TABLES["ad_stats"].arrow_schema())
