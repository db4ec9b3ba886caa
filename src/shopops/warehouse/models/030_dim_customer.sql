-- dim_customer: every customer of the customer table or of an order line.
-- first_sale_at / last_sale_at / orders count product sales only (not cancellations or fees).
WITH sales AS (
    SELECT customer_id,
           min(ordered_at) AS first_sale_at,
           max(ordered_at) AS last_sale_at,
           count(DISTINCT order_id) AS orders,
           sum(quantity) AS units,
           sum(net_amount) AS sales_amount
    FROM fact_order_line
    WHERE customer_id IS NOT NULL AND line_type = 'sale' AND is_product
    GROUP BY customer_id
),
lines AS (
    SELECT customer_id, min(ordered_at) AS first_line_at, max(country) AS country
    FROM fact_order_line
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
)
SELECT
    coalesce(c.customer_id, l.customer_id) AS customer_id,
    c.name,
    c.email,
    c.phone,
    c.address,
    c.postcode,
    c.city,
    c.region,
    coalesce(c.country, l.country) AS country,
    c.channel,
    coalesce(c.acquired_at, l.first_line_at) AS acquired_at,
    s.first_sale_at,
    s.last_sale_at,
    coalesce(s.orders, 0) AS orders,
    coalesce(s.units, 0) AS units,
    coalesce(s.sales_amount, 0.0) AS sales_amount
FROM stg_customers AS c
FULL OUTER JOIN lines AS l ON c.customer_id = l.customer_id
LEFT JOIN sales AS s ON s.customer_id = coalesce(c.customer_id, l.customer_id)
