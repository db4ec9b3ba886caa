"""Everything decided before orders are written out: catalogue, customers, demand, stock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopops.simulate._ads import Campaigns
from shopops.simulate._calendar import DAY_US
from shopops.simulate._catalogue import Catalogue, Suppliers
from shopops.simulate._config import SimulationConfig
from shopops.simulate._customers import Customers, OrderEvents
from shopops.simulate._demand import DemandPlan
from shopops.simulate._stock import StockResult
from shopops.simulate._types import FloatArray, IntArray

__all__ = ["World"]


@dataclass(frozen=True)
class World:
    """The simulated shop before it is cut into monthly chunks of orders."""

    config: SimulationConfig
    first_day: int  # epoch day of the first simulated day
    catalogue: Catalogue
    suppliers: Suppliers
    customers: Customers
    events: OrderEvents  # every order moment of the period, sorted by time
    plan: DemandPlan
    demand: IntArray  # (products, days)
    bulk: IntArray  # (products, days) units of a bulk order within demand
    stock: StockResult
    return_chance: FloatArray  # per category: chance that a delivered sale line comes back
    holidays: np.ndarray  # bank holidays, datetime64[D]
    campaigns: Campaigns
    orders_per_day: FloatArray  # order moments per day of the period
    value_per_order: float  # mean goods value of an order

    @property
    def days(self) -> int:
        """Length of the period in days."""
        return self.config.days

    @property
    def end_us(self) -> int:
        """The export moment: midnight after the last day (later events have not happened)."""
        return (self.first_day + self.config.days) * DAY_US
