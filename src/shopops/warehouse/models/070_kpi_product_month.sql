-- kpi_product_month: sales of each product by month, ranked by net sales within the month.
-- units, gross_sales and net_sales sum the line measures of fact_order_line; net_sales here =
-- gross - line discounts - cancellations - returns of that product.
-- The rank rounds net_sales to 4 decimals so equal amounts tie (then product_id decides) whatever
-- order the floating-point sum ran in (thread count, engine).
WITH m AS (
    SELECT
        CAST(date_trunc('month', order_date) AS DATE) AS month,
        product_id,
        CAST(sum(sold_units) AS BIGINT) AS units,
        sum(gross_sales) AS gross_sales,
        sum(net_sales) AS net_sales,
        count(DISTINCT CASE WHEN is_sale THEN order_id END) AS orders
    FROM fact_order_line
    WHERE is_product
    GROUP BY 1, 2
)
SELECT
    m.month,
    m.product_id,
    p.name,
    p.category,
    m.units,
    m.gross_sales,
    m.net_sales,
    m.orders,
    row_number() OVER (PARTITION BY m.month ORDER BY round(m.net_sales, 4) DESC, m.product_id) AS rank
FROM m
LEFT JOIN dim_product AS p ON p.product_id = m.product_id
