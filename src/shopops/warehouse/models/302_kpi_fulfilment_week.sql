-- kpi_fulfilment_week: the fulfilment KPIs of kpi_fulfilment_day per order week (Monday) and warehouse.
SELECT
    order_week,
    coalesce(warehouse, '(none)') AS warehouse,
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
GROUP BY ALL
