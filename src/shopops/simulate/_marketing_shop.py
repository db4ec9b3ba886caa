"""The simulated shop's marketing: its campaigns' spend driven through known response curves."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from shopops.schema import TABLES
from shopops.simulate._ads import AD_CHANNELS
from shopops.simulate._marketing import MarketingSimulation, simulate_marketing
from shopops.simulate._tables import customer_ids
from shopops.simulate._world import World

__all__ = ["MARKETING_TABLES", "shop_marketing", "table_of"]

#: The tables the marketing simulation adds to the shop (``ad_stats`` comes from it too, month by month).
MARKETING_TABLES = ("campaigns", "ad_creatives", "ad_impressions", "campaign_contacts", "marketing_truth")
_IMPRESSIONS_PER_CUSTOMER = 5
_MAX_CONTACTS = 20_000


def shop_marketing(world: World) -> MarketingSimulation:
    """The marketing history of the simulated shop's own campaigns and customers."""
    config = world.config
    campaigns = world.campaigns
    ids = np.asarray(campaigns.campaign_id.to_pylist(), dtype=object)
    channels = np.asarray(AD_CHANNELS, dtype=object)[campaigns.channel]
    customers = np.asarray(customer_ids(np.arange(len(world.customers))).to_pylist(), dtype=object)
    return simulate_marketing(config.seed, days=max(config.days, 28), start=config.start.isoformat(),
                              impressions=min(_IMPRESSIONS_PER_CUSTOMER * len(customers), 200_000),
                              contacts=min(len(customers), _MAX_CONTACTS), customer_ids=customers,
                              campaigns=(ids, channels, campaigns.active))


def table_of(name: str, marketing: MarketingSimulation, first: int | None = None, last: int | None = None
             ) -> pa.Table:
    """One canonical table of the marketing simulation (``ad_stats`` for days ``first`` to ``last - 1``)."""
    frame = {"campaigns": marketing.campaigns, "ad_creatives": marketing.creatives,
             "ad_impressions": marketing.impressions, "campaign_contacts": marketing.contacts,
             "marketing_truth": marketing.truth, "ad_stats": marketing.ad_stats}[name]
    if name == "ad_stats" and first is not None and last is not None:
        day = (np.asarray(frame["date"], dtype="datetime64[D]") - np.datetime64(frame["date"].min(), "D")).astype(int)
        frame = frame[(day >= first) & (day < last)]
    schema = TABLES[name].arrow_schema()
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
