-- kpi_backlog_day: per day and warehouse, the orders released to it and not yet shipped at the end of the day.
-- The days come from the calendar (dim_date, the order lines' date range), so that the same file runs on Spark.
WITH days AS (
    SELECT date AS day FROM dim_date
    WHERE date BETWEEN (SELECT min(order_date) FROM fact_fulfilment) AND (SELECT max(order_date) FROM fact_fulfilment)
), ev AS (
    SELECT coalesce(warehouse, '(none)') AS warehouse, CAST(coalesce(released_at, ordered_at) AS DATE) AS day,
           1 AS delta
    FROM fact_fulfilment WHERE cancelled_at IS NULL OR shipped_at IS NOT NULL
    UNION ALL
    SELECT coalesce(warehouse, '(none)'), CAST(shipped_at AS DATE), -1 FROM fact_fulfilment WHERE shipped_at IS NOT NULL
), per_day AS (
    SELECT warehouse, day, sum(delta) AS delta FROM ev GROUP BY ALL
), grid AS (
    SELECT w.warehouse, days.day FROM days CROSS JOIN (SELECT DISTINCT warehouse FROM ev) AS w
)
SELECT g.day, g.warehouse,
       CAST(sum(coalesce(p.delta, 0)) OVER (PARTITION BY g.warehouse ORDER BY g.day) AS BIGINT) AS backlog
FROM grid AS g LEFT JOIN per_day AS p USING (warehouse, day)
