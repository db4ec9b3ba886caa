"""The knobs of the simulated shop and the summary of a run."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields
from pathlib import Path

from shopops.errors import ShopopsError

__all__ = ["SimulationConfig", "SimulationConfigError", "SimulationSummary"]


class SimulationConfigError(ShopopsError, ValueError):
    """A :class:`SimulationConfig` value is out of range; the message names the field to change."""


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that shapes a simulated shop; the same config always gives the same data.

    Parameters
    ----------
    seed : int
        Seed of every random stream.
    start : datetime.date
        First day of the simulated period.
    days : int
        Length of the period in days.
    n_products : int
        Products in the catalogue (the non-product codes ``SHIPPING`` and ``DISCOUNT`` come on top).
    n_customers : int
        Customers in the customer table; ``existing_customer_share`` of them were acquired before
        ``start`` (the shop already had customers), the rest during the period.
    target_order_lines : int or None
        When set, customers and demand are scaled so that the number of sale lines is about this
        (within 10 %); ``n_customers`` is then only the starting point of the scaling.
    n_suppliers : int
        Suppliers; each category buys from a few of them.
    web_event_days : int
        Web events are written only for the last this many days (they are voluminous).
    messages_per_1000_orders : float
        Customer-service messages per 1,000 orders.
    n_campaigns : int
        Ad campaigns in ``ad_stats``.
    lines_per_order : float
        Mean number of product lines per order.
    guest_share : float
        Share of orders placed as a guest (no customer id).
    existing_customer_share : float
        Share of ``n_customers`` acquired in the year before ``start``; their earlier orders are
        not in the data, as in any real export that starts on a given day.
    abroad_share : float
        Share of customers living outside the United Kingdom.
    chinese_name_share : float
        Share of customers with a Chinese name; most of them write to the shop in Chinese.
    cancellation_rate : float
        Share of orders cancelled before shipping.
    return_rate : float
        Mean share of delivered sale lines sent back (varies by category).
    free_shipping_threshold : float
        Orders to the UK with goods worth less than this pay ``shipping_fee``.
    shipping_fee : float
        Postage charged on small UK orders (orders abroad pay three times as much below 100).
    web_conversion_rate : float
        Share of web sessions that end in an order.
    max_web_events : int
        Web events are sampled (all sessions alike, as analytics tools do) when the full
        traffic of the ``web_event_days`` would exceed this many events.
    rows_per_file : int
        A table's part file is closed and the next one started once it holds this many rows.
    compression : str
        Parquet compression codec.
    """

    seed: int = 0
    start: datetime.date = datetime.date(2024, 1, 1)
    days: int = 730
    n_products: int = 500
    n_customers: int = 20_000
    target_order_lines: int | None = None
    n_suppliers: int = 25
    web_event_days: int = 60
    messages_per_1000_orders: float = 25.0
    n_campaigns: int = 18
    lines_per_order: float = 1.6
    guest_share: float = 0.08
    existing_customer_share: float = 0.25
    abroad_share: float = 0.12
    chinese_name_share: float = 0.35
    cancellation_rate: float = 0.03
    return_rate: float = 0.05
    free_shipping_threshold: float = 30.0
    shipping_fee: float = 3.99
    web_conversion_rate: float = 0.035
    max_web_events: int = 5_000_000
    rows_per_file: int = 2_000_000
    compression: str = "zstd"

    def __post_init__(self) -> None:
        minimum = {
            "days": 28,
            "n_products": 10,
            "n_customers": 100,
            "n_suppliers": 1,
            "web_event_days": 0,
            "n_campaigns": 1,
            "max_web_events": 0,
            "rows_per_file": 1_000,
        }
        for name, low in minimum.items():
            if getattr(self, name) < low:
                raise SimulationConfigError(f"SimulationConfig.{name} must be at least {low}")
        if self.target_order_lines is not None and self.target_order_lines < 1_000:
            raise SimulationConfigError("SimulationConfig.target_order_lines must be at least 1000 (or None)")
        if self.lines_per_order < 1.0:
            raise SimulationConfigError("SimulationConfig.lines_per_order must be at least 1.0")
        shares = ("guest_share", "existing_customer_share", "abroad_share", "chinese_name_share",
                  "cancellation_rate", "return_rate")
        for name in shares:
            if not 0.0 <= getattr(self, name) < 0.9:
                raise SimulationConfigError(f"SimulationConfig.{name} must be in [0, 0.9)")
        if not 0.0 < self.web_conversion_rate <= 1.0:
            raise SimulationConfigError("SimulationConfig.web_conversion_rate must be in (0, 1]")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and value < 0:
                raise SimulationConfigError(f"SimulationConfig.{f.name} must not be negative")

    @property
    def end(self) -> datetime.date:
        """The day after the last simulated day (the moment the data is exported)."""
        return self.start + datetime.timedelta(days=self.days)


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate_shop` wrote.

    Parameters
    ----------
    out_dir : Path
        Folder holding one sub-folder of Parquet parts per canonical table.
    rows : dict of str to int
        Rows written per canonical table.
    seconds : float
        Wall-clock time of the run.
    """

    out_dir: Path
    rows: dict[str, int]
    seconds: float
