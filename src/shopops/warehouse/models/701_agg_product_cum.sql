-- agg_product_cum: running totals of agg_product_day per product, on the days the product has lines.
-- A product's totals between days a and b are its last row on or before b minus its last row before
-- a (nothing: 0): two look-ups per product whatever the range (an ASOF join in SQL; the API keeps
-- the table in memory per build). Money stays DECIMAL, so the difference is exact.
-- orders sums the daily distinct orders; agg_order_span corrects the few orders that span days.
SELECT
    product_id,
    day,
    CAST(sum(lines) OVER (PARTITION BY product_id ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS lines,
    CAST(sum(units) OVER (PARTITION BY product_id ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS units,
    CAST(sum(gross_sales) OVER (PARTITION BY product_id ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(38, 6)) AS gross_sales,
    CAST(sum(net_sales) OVER (PARTITION BY product_id ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(38, 6)) AS net_sales,
    CAST(sum(orders) OVER (PARTITION BY product_id ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS orders
FROM agg_product_day
ORDER BY product_id, day
