-- kpi_category_month: sales of each category by month, ranked by net sales within the month.
SELECT
    month,
    category,
    sum(units) AS units,
    sum(gross_sales) AS gross_sales,
    sum(net_sales) AS net_sales,
    count(DISTINCT product_id) AS products_sold,
    row_number() OVER (PARTITION BY month ORDER BY sum(net_sales) DESC, category) AS rank
FROM kpi_product_month
GROUP BY month, category
