"""The synthetic shop: a seeded, deterministic generator of a realistic online shop.

:func:`simulate_shop` writes every canonical table (``shopops.schema.TABLES``) as Parquet parts,
month by month, so memory stays bounded at any size. The data carries real structure for the
models downstream: heavy-tailed, intermittent, seasonal demand with holidays and promotions
(``demand_truth`` keeps the true demand behind the censored sales), a naive replenishment policy
with stock-outs and supplier lead times, BG/NBD-style repeat customers with category tastes,
late deliveries with learnable causes, cancellations and returns, ad campaigns, a web funnel
and customer-service messages in English and Chinese labelled with their intent.

Examples
--------
>>> from pathlib import Path
>>> from shopops.simulate import SimulationConfig, simulate_shop
>>> summary = simulate_shop(Path("shop"), SimulationConfig(seed=1, days=90))  # doctest: +SKIP
>>> summary.rows["order_lines"]  # doctest: +SKIP
"""

from shopops.simulate._config import SimulationConfig, SimulationConfigError, SimulationSummary
from shopops.simulate._marketing import ChannelTruth, MarketingSimulation, simulate_marketing
from shopops.simulate._shop import simulate_shop
from shopops.simulate._support_faq import FAQ_TOPICS, kb_table
from shopops.simulate._support_log import SUPPORT_LOG, support_log, write_support_log

__all__ = ["FAQ_TOPICS", "SUPPORT_LOG", "ChannelTruth", "MarketingSimulation", "SimulationConfig",
           "SimulationConfigError", "SimulationSummary", "kb_table", "simulate_marketing", "simulate_shop",
           "support_log", "write_support_log"]
