-- agg_sales_day: each real product's (kind 'product') and each category's (kind 'category') sales per day, the daily base of every date-range read.
-- One row per key and day with any line of the key (any type), as the fact table lists a product in
-- a range when it has a line there. The measures sum fact_order_line's line measures:
--   lines        product lines that day (any type)
--   units        sold_units; gross_sales, net_sales: the line measures, exact to a millionth (DECIMAL)
--   orders       distinct orders with a sale of the key that day
--   category     the product's category (the key itself for a category)
-- Money is DECIMAL(38, 6) so that running totals (agg_sales_cum) subtract exactly: a range's total
-- does not depend on how much history lies before it.
SELECT
    CASE WHEN grouping(product_id) = 0 THEN 'product' ELSE 'category' END AS kind,
    CASE WHEN grouping(product_id) = 0 THEN product_id ELSE category END AS key,
    order_date AS day,
    min(category) AS category,
    CAST(count(*) AS BIGINT) AS lines,
    CAST(sum(sold_units) AS BIGINT) AS units,
    CAST(sum(CAST(gross_sales AS DECIMAL(38, 6))) AS DECIMAL(38, 6)) AS gross_sales,
    CAST(sum(CAST(net_sales AS DECIMAL(38, 6))) AS DECIMAL(38, 6)) AS net_sales,
    CAST(count(DISTINCT CASE WHEN is_sale THEN order_id END) AS BIGINT) AS orders
FROM fact_order_line
WHERE is_product
GROUP BY GROUPING SETS ((product_id, order_date), (category, order_date))
ORDER BY kind, key, day
