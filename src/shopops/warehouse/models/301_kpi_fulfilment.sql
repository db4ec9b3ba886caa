-- kpi_fulfilment: fulfilment KPIs per order day × warehouse × carrier × destination region
-- (grain 'day') and per order week (Monday) × warehouse (grain 'week', carrier and region '(all)').
-- Medians and 90th percentiles of the hours from order to payment, release, shipping and delivery
-- (orders that reached the step), the on-time rate against the promise (delivered orders), and
-- the cancelled and returned orders. Periods are order periods: a late delivery counts on its order day.
SELECT
    CASE WHEN grouping(order_date) = 0 THEN 'day' ELSE 'week' END AS grain,
    coalesce(order_date, order_week) AS period,
    coalesce(warehouse, '(none)') AS warehouse,
    CASE WHEN grouping(carrier) = 0 THEN coalesce(carrier, '(none)') ELSE '(all)' END AS carrier,
    CASE WHEN grouping(ship_region) = 0 THEN coalesce(ship_region, '(none)') ELSE '(all)' END AS ship_region,
    count(*) AS orders,
    median(hours_to_payment) AS p50_hours_to_payment,
    quantile_cont(hours_to_payment, 0.9) AS p90_hours_to_payment,
    median(hours_to_release) AS p50_hours_to_release,
    quantile_cont(hours_to_release, 0.9) AS p90_hours_to_release,
    median(hours_to_ship) AS p50_hours_to_ship,
    quantile_cont(hours_to_ship, 0.9) AS p90_hours_to_ship,
    median(hours_to_delivery) AS p50_hours_to_delivery,
    quantile_cont(hours_to_delivery, 0.9) AS p90_hours_to_delivery,
    count(on_time) AS delivered,
    avg(CASE WHEN on_time THEN 1.0 WHEN NOT on_time THEN 0.0 END) AS on_time_rate,
    count(cancelled_at) AS cancelled,
    count(returned_at) AS returned
FROM fact_fulfilment
GROUP BY GROUPING SETS ((order_date, warehouse, carrier, ship_region), (order_week, warehouse))
