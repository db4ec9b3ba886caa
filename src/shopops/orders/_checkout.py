"""One order at checkout: its feature fields from what the warehouse knows, read once per build.

The batch features (:func:`~shopops.orders.order_features`) are one SQL query over every order. A
checkout waiting on its answer cannot afford a query per order, so :class:`CheckoutContext` reads the
shop's home country, each warehouse's backlog, each route's delivery history and each customer's
history once (per warehouse build) and looks the order up in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from shopops.warehouse import Reader

__all__ = ["CheckoutContext"]

_VALUES = """
SELECT h.customer_id, h.ordered_at, h.returned_at, h.cancelled_at,
       f.gross_sales - f.line_discounts - f.discount_lines AS order_value
FROM fact_fulfilment AS h JOIN fact_order AS f USING (order_id)
"""
_CUSTOMERS = f"""
SELECT customer_id, count(*) AS prior_orders, count(returned_at) AS prior_returns,
       count(cancelled_at) AS prior_cancellations, min(ordered_at) AS first_at, max(ordered_at) AS last_at,
       arg_max(order_value, ordered_at) AS last_value
FROM ({_VALUES}) WHERE customer_id IS NOT NULL GROUP BY 1
"""
_ONE_CUSTOMER = f"""
SELECT count(*) AS prior_orders, count(returned_at) AS prior_returns, count(cancelled_at) AS prior_cancellations,
       min(ordered_at) AS first_at, max(ordered_at) AS last_at, arg_max(order_value, ordered_at) AS last_value
FROM ({_VALUES}) WHERE customer_id = ? AND ordered_at < ?
"""
_ROUTES = """
SELECT coalesce(carrier, '(none)') AS carrier, coalesce(ship_city, ship_region, '(none)') AS ship_city,
       avg(CASE WHEN on_time THEN 0.0 ELSE 1.0 END) AS route_late_rate,
       avg(hours_to_delivery) / 24.0 AS route_delivery_days,
       avg(date_diff('second', shipped_at, delivered_at)) / 86400.0 AS route_transit_days
FROM fact_fulfilment WHERE on_time IS NOT NULL AND shipped_at IS NOT NULL GROUP BY ALL
"""
_BACKLOG = """
SELECT b.warehouse, b.backlog / nullif((SELECT count(*) / 28.0 FROM fact_fulfilment f WHERE
       coalesce(f.warehouse, '(none)') = b.warehouse AND f.shipped_at >= b.day - INTERVAL 28 DAY), 0) AS days
FROM kpi_backlog_day b WHERE b.day = (SELECT max(day) FROM kpi_backlog_day)
"""


class CheckoutContext:
    """The warehouse's knowledge an order at checkout is scored with, read once.

    Parameters
    ----------
    reader : Reader
        The warehouse (with ``fact_fulfilment`` and ``kpi_backlog_day``).
    """

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        home = reader.frame("SELECT mode(ship_country) AS c FROM fact_fulfilment").c.iloc[0]
        self.home = str(home or "")
        backlog = reader.frame(_BACKLOG)
        self.backlog = {str(w): float(d) for w, d in zip(backlog.warehouse, backlog.days.fillna(0.0), strict=True)}
        routes = reader.frame(_ROUTES)
        self.routes = {(str(c), str(s)): (float(r), float(d), float(t)) for c, s, r, d, t in routes.itertuples(
            index=False, name=None)}
        self.customers = reader.frame(_CUSTOMERS).set_index("customer_id")

    def _history(self, customer_id: str | None, at: pd.Timestamp) -> dict[str, Any]:
        history: dict[str, Any] = {"prior_orders": 0.0, "prior_returns": 0.0, "prior_cancellations": 0.0,
                                   "account_age_days": 0.0, "minutes_since_previous": 1e9,
                                   "same_value_as_previous": None}
        if not customer_id:
            return history
        row: Any = None
        if customer_id in self.customers.index:
            row = self.customers.loc[customer_id]
            if row.last_at >= at:  # an order placed before the customer's known ones: ask the warehouse
                row = self.reader.frame(_ONE_CUSTOMER, [customer_id, at]).iloc[0]
        if row is None or not row.prior_orders:
            return history
        history.update(prior_orders=float(row.prior_orders), prior_returns=float(row.prior_returns),
                       prior_cancellations=float(row.prior_cancellations),
                       account_age_days=(at - row.first_at).total_seconds() / 86400,
                       minutes_since_previous=(at - row.last_at).total_seconds() / 60,
                       same_value_as_previous=row.last_value)
        return history

    def features(self, order: Mapping[str, Any], at: pd.Timestamp) -> dict[str, Any]:
        """The feature fields of one order placed at ``at`` (naive UTC).

        ``order`` holds what the checkout knows: ``order_id``, ``customer_id``, ``order_value``, ``units``,
        ``lines``, ``coupon``, ``payment_type``, ``channel``, ``ship_country``, ``ship_city``, ``carrier``,
        ``warehouse``, ``service``, ``address_check``, ``promise_days``, ``installments``, ``freight``.
        """
        history = self._history(order.get("customer_id"), at)
        last_value = history.pop("same_value_as_previous")
        value = float(order["order_value"])
        route = self.routes.get((str(order.get("carrier") or "(none)"), str(order.get("ship_city") or "(none)")))
        late_rate, delivery_days, transit_days = route if route is not None else (np.nan, np.nan, np.nan)
        promise = float(order["promise_days"])
        month, day = at.month, at.day
        return {**order, **history, "ordered_at": at, "hour": float(at.hour), "weekday": float(at.weekday()),
                "day_of_year": float(at.dayofyear), "guest": not order.get("customer_id"),
                "new_customer": history["prior_orders"] == 0,
                "same_value_as_previous": last_value is not None and abs(float(last_value) - value) < 0.005,
                "express": order.get("service") == "express", "abroad": order.get("ship_country") != self.home,
                "backlog_days": self.backlog.get(str(order.get("warehouse") or "(none)"), 0.0),
                "route_late_rate": late_rate, "route_delivery_days": delivery_days,
                "route_transit_days": transit_days, "promise_slack_days": promise - delivery_days,
                "peak": float((month == 11 and day >= 24) or (month == 12 and day <= 23))}
