"""Order features for the rules and the models, read from the warehouse in one query."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from shopops.errors import ShopopsError
from shopops.warehouse import Reader

__all__ = ["CATEGORICAL", "NUMERIC", "ROUTE_KEYS", "OrdersError", "order_features"]


class OrdersError(ShopopsError, ValueError):
    """An orders question that cannot be answered as asked; the message says what to change."""


#: Model inputs known at checkout (nothing about what happened after the order).
CATEGORICAL = ("payment_type", "channel", "ship_country", "carrier", "warehouse", "address_check", "service",
               "ship_city")
NUMERIC = ("order_value", "units", "lines", "coupon", "abroad", "express", "hour", "weekday", "guest",
           "new_customer", "prior_orders", "prior_returns", "prior_cancellations", "account_age_days",
           "minutes_since_previous", "same_value_as_previous", "backlog_days", "promise_days", "day_of_year",
           "installments", "freight", "route_late_rate", "route_delivery_days", "route_transit_days",
           "promise_slack_days", "peak")
#: The route of an order (carrier to destination city) is what its delivery history is kept by.
ROUTE_KEYS = ("carrier", "ship_city")

_SQL = """
WITH o AS (
    SELECT f.*, fo.gross_sales - fo.line_discounts - fo.discount_lines AS order_value,
           fo.units, fo.lines, (fo.line_discounts + fo.discount_lines) > 0 AS coupon
    FROM fact_fulfilment AS f JOIN fact_order AS fo USING (order_id)
), shipped AS (
    SELECT coalesce(warehouse, '(none)') AS warehouse, CAST(shipped_at AS DATE) AS day, count(*) AS n
    FROM fact_fulfilment WHERE shipped_at IS NOT NULL GROUP BY ALL
), rate AS (
    SELECT b.warehouse, b.day, b.backlog,
           avg(coalesce(s.n, 0)) OVER (PARTITION BY b.warehouse ORDER BY b.day
                                       ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING) AS per_day
    FROM kpi_backlog_day AS b LEFT JOIN shipped AS s USING (warehouse, day)
), route_done AS (
    -- Each route's deliveries up to each delivery: what was known of the route at any later order.
    SELECT coalesce(carrier, '(none)') AS route_carrier, coalesce(ship_city, ship_region, '(none)') AS route_city,
           delivered_at AS known_at,
           avg(CASE WHEN on_time THEN 0.0 ELSE 1.0 END) OVER wr AS route_late_rate,
           avg(hours_to_delivery) OVER wr / 24.0 AS route_delivery_days,
           avg(date_diff('second', shipped_at, delivered_at)) OVER wr / 86400.0 AS route_transit_days
    FROM fact_fulfilment WHERE on_time IS NOT NULL AND shipped_at IS NOT NULL
    WINDOW wr AS (PARTITION BY coalesce(carrier, '(none)'), coalesce(ship_city, ship_region, '(none)')
                  ORDER BY delivered_at, order_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), h AS (
    SELECT o.*,
           count(*) OVER w - 1 AS prior_orders,
           coalesce(sum(CASE WHEN returned_at IS NOT NULL THEN 1 ELSE 0 END) OVER wp, 0) AS prior_returns,
           coalesce(sum(CASE WHEN cancelled_at IS NOT NULL THEN 1 ELSE 0 END) OVER wp, 0) AS prior_cancellations,
           date_diff('second', min(ordered_at) OVER w, ordered_at) / 86400.0 AS account_age_days,
           date_diff('second', lag(ordered_at) OVER w, ordered_at) / 60.0 AS minutes_since_previous,
           coalesce(abs(lag(order_value) OVER w - order_value) < 0.005, FALSE) AS same_value_as_previous
    FROM o
    WINDOW w AS (PARTITION BY coalesce(customer_id, order_id) ORDER BY ordered_at, order_id),
           wp AS (PARTITION BY coalesce(customer_id, order_id) ORDER BY ordered_at, order_id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)
SELECT h.order_id, h.customer_id, h.ordered_at, h.order_date, h.status,
       h.order_value, CAST(h.units AS DOUBLE) AS units, CAST(h.lines AS DOUBLE) AS lines, h.coupon,
       h.payment_type, h.channel, h.ship_country, h.carrier, h.warehouse, h.address_check,
       coalesce(h.service, 'standard') AS service, h.service = 'express' AS express,
       CAST(hour(h.ordered_at) AS DOUBLE) AS hour, CAST(isodow(h.ordered_at) - 1 AS DOUBLE) AS weekday,
       CAST(dayofyear(h.ordered_at) AS DOUBLE) AS day_of_year,
       h.customer_id IS NULL AS guest, h.prior_orders = 0 AS new_customer,
       CAST(h.prior_orders AS DOUBLE) AS prior_orders, CAST(h.prior_returns AS DOUBLE) AS prior_returns,
       CAST(h.prior_cancellations AS DOUBLE) AS prior_cancellations, h.account_age_days,
       coalesce(h.minutes_since_previous, 1e9) AS minutes_since_previous, h.same_value_as_previous,
       coalesce(r.backlog / nullif(r.per_day, 0), 0.0) AS backlog_days,
       date_diff('second', h.ordered_at, h.promised_at) / 86400.0 AS promise_days,
       CAST(coalesce(h.installments, 1) AS DOUBLE) AS installments, coalesce(h.freight, 0.0) AS freight,
       rd.route_late_rate, rd.route_delivery_days, rd.route_transit_days,
       date_diff('second', h.ordered_at, h.promised_at) / 86400.0 - rd.route_delivery_days AS promise_slack_days,
       CAST((month(h.ordered_at) = 11 AND day(h.ordered_at) >= 24)
            OR (month(h.ordered_at) = 12 AND day(h.ordered_at) <= 23) AS DOUBLE) AS peak,
       coalesce(h.ship_city, h.ship_region) AS ship_city,
       h.promised_at, h.delivered_at, h.shipped_at, h.cancelled_at, h.shipping_limit_at,
       h.hours_to_delivery / 24.0 AS delivery_days,
       CASE WHEN h.on_time IS NULL THEN NULL ELSE NOT h.on_time END AS late
       {truth_columns}
FROM h
LEFT JOIN rate AS r ON r.warehouse = coalesce(h.warehouse, '(none)')
                   AND r.day = CAST(h.ordered_at AS DATE) - INTERVAL 1 DAY
ASOF LEFT JOIN route_done AS rd ON rd.route_carrier = coalesce(h.carrier, '(none)')
                                AND rd.route_city = coalesce(h.ship_city, h.ship_region, '(none)')
                                AND h.ordered_at > rd.known_at
{truth_join}
WHERE (?::DATE IS NULL OR h.order_date >= ?) AND (?::DATE IS NULL OR h.order_date <= ?)
ORDER BY h.ordered_at, h.order_id
"""


def order_features(reader: Reader, *, since: date | None = None, until: date | None = None) -> pd.DataFrame:
    """One row per sales order: the rule fields (:data:`shopops.orders.FIELDS` without the scores) and labels.

    Labels are ``late`` (delivered after the promise; null while in transit), ``delivery_days``
    and, where the source knows them (the simulated shop), ``bad_kind`` and ``bad``.
    """
    if not reader.has("fact_fulfilment", "kpi_backlog_day"):
        raise OrdersError("the warehouse has no fulfilment tables; rebuild it with `shopops build`")
    truth_columns, truth_join = "", ""
    if reader.has("dim_order_truth") and int(reader.sql("SELECT count(*) AS n FROM dim_order_truth").n.iloc[0]):
        truth_columns, truth_join = ", t.bad_kind, t.chargeback", "LEFT JOIN dim_order_truth AS t USING (order_id)"
    sql = _SQL.format(truth_columns=truth_columns, truth_join=truth_join)
    frame = reader.frame(sql, [since, since, until, until])
    for name in ("coupon", "guest", "new_customer", "same_value_as_previous", "express"):
        frame[name] = frame[name].fillna(False).astype(bool)
    home = frame.ship_country.mode()
    frame["abroad"] = (frame.ship_country != (home.iloc[0] if len(home) else "")) & frame.ship_country.notna()
    if "bad_kind" in frame:
        frame["bad"] = frame.bad_kind.fillna("none") != "none"
    frame["order_value"] = frame.order_value.fillna(0.0)
    frame["promise_days"] = frame.promise_days.astype(float)
    frame["delivery_days"] = frame.delivery_days.astype(float)
    frame["late"] = frame.late.astype("boolean")
    frame["account_age_days"] = frame.account_age_days.fillna(0.0)
    frame["units"] = frame.units.fillna(0.0)
    frame["lines"] = frame.lines.fillna(0.0)
    frame.loc[~np.isfinite(frame.promise_days), "promise_days"] = np.nan
    return frame
