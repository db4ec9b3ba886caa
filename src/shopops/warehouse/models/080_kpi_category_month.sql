-- kpi_category_month: sales of each category by month, ranked by net sales within the month
-- (rounded to 4 decimals, so equal amounts tie whatever order the sum ran in).
SELECT
    month,
    category,
    CAST(sum(units) AS BIGINT) AS units,
    sum(gross_sales) AS gross_sales,
    sum(net_sales) AS net_sales,
    count(DISTINCT product_id) AS products_sold,
    row_number() OVER (PARTITION BY month ORDER BY round(sum(net_sales), 4) DESC, category) AS rank
FROM kpi_product_month
GROUP BY month, category
