-- agg_product_day: each real product's sales per day, the daily base of every date-range read of products.
-- One row per product and day with any line of the product (any type), as the fact table lists a
-- product in a range when it has a line there. The measures sum fact_order_line's line measures:
--   lines        product lines that day (any type)
--   units        sold_units; gross_sales, net_sales: the line measures, exact to a millionth (DECIMAL)
--   orders       distinct orders with a sale of the product that day
-- Money is DECIMAL(38, 6) so that running totals (701) subtract exactly: a range's total does not
-- depend on how much history lies before it.
SELECT
    product_id,
    order_date AS day,
    min(category) AS category,
    CAST(count(*) AS BIGINT) AS lines,
    CAST(sum(sold_units) AS BIGINT) AS units,
    CAST(sum(CAST(gross_sales AS DECIMAL(38, 6))) AS DECIMAL(38, 6)) AS gross_sales,
    CAST(sum(CAST(net_sales AS DECIMAL(38, 6))) AS DECIMAL(38, 6)) AS net_sales,
    CAST(count(DISTINCT CASE WHEN is_sale THEN order_id END) AS BIGINT) AS orders
FROM fact_order_line
WHERE is_product
GROUP BY product_id, order_date
ORDER BY product_id, day
