-- agg_category_cum: running totals of agg_category_day per category, on the days the category has lines.
-- A range's totals are the last row on or before its end minus the last row before its start (as agg_product_cum).
SELECT
    category,
    day,
    CAST(sum(lines) OVER (PARTITION BY category ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS lines,
    CAST(sum(units) OVER (PARTITION BY category ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS units,
    CAST(sum(gross_sales) OVER (PARTITION BY category ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(38, 6)) AS gross_sales,
    CAST(sum(net_sales) OVER (PARTITION BY category ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(38, 6)) AS net_sales,
    CAST(sum(orders) OVER (PARTITION BY category ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS orders
FROM agg_category_day
ORDER BY category, day
