-- agg_category_day: each category's sales per day (real products only), the daily base of category range reads.
-- Measures as agg_product_day; orders counts distinct orders with a sale in the category that day.
SELECT
    category,
    order_date AS day,
    CAST(count(*) AS BIGINT) AS lines,
    CAST(sum(sold_units) AS BIGINT) AS units,
    CAST(sum(CAST(gross_sales AS DECIMAL(38, 6))) AS DECIMAL(38, 6)) AS gross_sales,
    CAST(sum(CAST(net_sales AS DECIMAL(38, 6))) AS DECIMAL(38, 6)) AS net_sales,
    CAST(count(DISTINCT CASE WHEN is_sale THEN order_id END) AS BIGINT) AS orders
FROM fact_order_line
WHERE is_product
GROUP BY category, order_date
ORDER BY category, day
