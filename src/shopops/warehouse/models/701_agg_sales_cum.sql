-- agg_sales_cum: running totals of agg_sales_day per kind and key, on the days the key has lines.
-- A key's totals between days a and b are its last row on or before b minus its last row before a
-- (nothing: 0): two look-ups per key whatever the range (an ASOF join in SQL; the API keeps the
-- table in memory per build). Money stays DECIMAL, so the difference is exact.
-- orders sums the daily distinct orders; agg_order_span corrects the few orders that span days.
SELECT
    kind,
    key,
    day,
    CAST(sum(lines) OVER (PARTITION BY kind, key ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS lines,
    CAST(sum(units) OVER (PARTITION BY kind, key ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS units,
    CAST(sum(gross_sales) OVER (PARTITION BY kind, key ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(38, 6)) AS gross_sales,
    CAST(sum(net_sales) OVER (PARTITION BY kind, key ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(38, 6)) AS net_sales,
    CAST(sum(orders) OVER (PARTITION BY kind, key ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS orders
FROM agg_sales_day
ORDER BY kind, key, day
