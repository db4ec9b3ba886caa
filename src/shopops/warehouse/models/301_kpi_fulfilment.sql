-- kpi_fulfilment: fulfilment KPIs per order day × warehouse × carrier × destination region
-- (grain 'day') and per order week (Monday) × warehouse (grain 'week', carrier and region '(all)').
-- Medians and 90th percentiles of the hours from order to payment, release, shipping and delivery
-- (orders that reached the step), the on-time rate against the promise (delivered orders), and
-- the cancelled and returned orders. Periods are order periods: a late delivery counts on its order day.
--
-- The percentiles are those of quantile_cont (linear interpolation between the values at ranks
-- floor and ceil of (n - 1) * q), computed by ranking the values instead of with the aggregate: a
-- quantile aggregate keeps every value of every group in memory and cannot spill to disk (it ran
-- out of DuckDB's 3 GB at 17 M orders), while the sort behind a window function does.
WITH grains AS (
    SELECT 'day' AS grain, order_date AS period, coalesce(warehouse, '(none)') AS warehouse,
           coalesce(carrier, '(none)') AS carrier, coalesce(ship_region, '(none)') AS ship_region,
           hours_to_payment, hours_to_release, hours_to_ship, hours_to_delivery, on_time, cancelled_at, returned_at
    FROM fact_fulfilment
    UNION ALL
    SELECT 'week', order_week, coalesce(warehouse, '(none)'), '(all)', '(all)',
           hours_to_payment, hours_to_release, hours_to_ship, hours_to_delivery, on_time, cancelled_at, returned_at
    FROM fact_fulfilment
), counts AS (
    SELECT grain, period, warehouse, carrier, ship_region,
           count(*) AS orders,
           count(on_time) AS delivered,
           -- DOUBLE, not the literal 1.0: Spark averages DECIMALs to 5 places
           avg(CASE WHEN on_time THEN CAST(1 AS DOUBLE) WHEN NOT on_time THEN CAST(0 AS DOUBLE) END) AS on_time_rate,
           count(cancelled_at) AS cancelled,
           count(returned_at) AS returned
    FROM grains
    GROUP BY grain, period, warehouse, carrier, ship_region
), steps AS (
    SELECT grain, period, warehouse, carrier, ship_region, 'payment' AS step, hours_to_payment AS hours
    FROM grains WHERE hours_to_payment IS NOT NULL
    UNION ALL
    SELECT grain, period, warehouse, carrier, ship_region, 'release', hours_to_release
    FROM grains WHERE hours_to_release IS NOT NULL
    UNION ALL
    SELECT grain, period, warehouse, carrier, ship_region, 'ship', hours_to_ship
    FROM grains WHERE hours_to_ship IS NOT NULL
    UNION ALL
    SELECT grain, period, warehouse, carrier, ship_region, 'delivery', hours_to_delivery
    FROM grains WHERE hours_to_delivery IS NOT NULL
), ranked AS (
    SELECT grain, period, warehouse, carrier, ship_region, step, hours,
           row_number() OVER (PARTITION BY grain, period, warehouse, carrier, ship_region, step
                              ORDER BY hours) - 1 AS r,
           CAST(count(*) OVER (PARTITION BY grain, period, warehouse, carrier, ship_region, step) - 1 AS DOUBLE)
               AS last_rank
    FROM steps
), picked AS (
    SELECT grain, period, warehouse, carrier, ship_region, step,
           max(CASE WHEN r = floor(last_rank * 0.5) THEN hours END) AS lo50,
           max(CASE WHEN r = ceil(last_rank * 0.5) THEN hours END) AS hi50,
           max(last_rank * 0.5 - floor(last_rank * 0.5)) AS f50,
           max(CASE WHEN r = floor(last_rank * 0.9) THEN hours END) AS lo90,
           max(CASE WHEN r = ceil(last_rank * 0.9) THEN hours END) AS hi90,
           max(last_rank * 0.9 - floor(last_rank * 0.9)) AS f90
    FROM ranked
    WHERE r = floor(last_rank * 0.5) OR r = ceil(last_rank * 0.5)
       OR r = floor(last_rank * 0.9) OR r = ceil(last_rank * 0.9)
    GROUP BY grain, period, warehouse, carrier, ship_region, step
), percentiles AS (
    SELECT grain, period, warehouse, carrier, ship_region,
           max(CASE WHEN step = 'payment' THEN lo50 + f50 * (hi50 - lo50) END) AS p50_hours_to_payment,
           max(CASE WHEN step = 'payment' THEN lo90 + f90 * (hi90 - lo90) END) AS p90_hours_to_payment,
           max(CASE WHEN step = 'release' THEN lo50 + f50 * (hi50 - lo50) END) AS p50_hours_to_release,
           max(CASE WHEN step = 'release' THEN lo90 + f90 * (hi90 - lo90) END) AS p90_hours_to_release,
           max(CASE WHEN step = 'ship' THEN lo50 + f50 * (hi50 - lo50) END) AS p50_hours_to_ship,
           max(CASE WHEN step = 'ship' THEN lo90 + f90 * (hi90 - lo90) END) AS p90_hours_to_ship,
           max(CASE WHEN step = 'delivery' THEN lo50 + f50 * (hi50 - lo50) END) AS p50_hours_to_delivery,
           max(CASE WHEN step = 'delivery' THEN lo90 + f90 * (hi90 - lo90) END) AS p90_hours_to_delivery
    FROM picked
    GROUP BY grain, period, warehouse, carrier, ship_region
)
SELECT
    c.grain,
    c.period,
    c.warehouse,
    c.carrier,
    c.ship_region,
    c.orders,
    p.p50_hours_to_payment,
    p.p90_hours_to_payment,
    p.p50_hours_to_release,
    p.p90_hours_to_release,
    p.p50_hours_to_ship,
    p.p90_hours_to_ship,
    p.p50_hours_to_delivery,
    p.p90_hours_to_delivery,
    c.delivered,
    c.on_time_rate,
    c.cancelled,
    c.returned
FROM counts AS c
LEFT JOIN percentiles AS p
    ON p.grain = c.grain AND p.period = c.period AND p.warehouse = c.warehouse AND p.carrier = c.carrier
   AND p.ship_region = c.ship_region
