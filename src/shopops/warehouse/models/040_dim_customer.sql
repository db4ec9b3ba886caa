-- dim_customer: every customer of the customer table or of an order.
-- first_sale_at / last_sale_at / orders / units / sales_amount count product sales only
-- (sales_amount = gross sales less line discounts; cancellations and fees are not sales).
-- country: the customer table's, else that of the customer's first order with one.
WITH o AS (
    SELECT
        customer_id,
        min(ordered_at) AS first_line_at,
        arg_min(country, struct_pack(t := ordered_at, o := order_id, v := country))
            FILTER (WHERE country IS NOT NULL) AS country,
        min(CASE WHEN is_sale THEN ordered_at END) AS first_sale_at,
        max(CASE WHEN is_sale THEN ordered_at END) AS last_sale_at,
        sum(CASE WHEN is_sale THEN 1 ELSE 0 END) AS orders,
        CAST(sum(units) AS BIGINT) AS units,
        sum(gross_sales - line_discounts) AS sales_amount
    FROM fact_order
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
)
SELECT
    coalesce(c.customer_id, o.customer_id) AS customer_id,
    c.name,
    c.email,
    c.phone,
    c.address,
    c.postcode,
    c.city,
    c.region,
    coalesce(c.country, o.country) AS country,
    c.channel,
    coalesce(c.acquired_at, o.first_line_at) AS acquired_at,
    o.first_sale_at,
    o.last_sale_at,
    CAST(coalesce(o.orders, 0) AS BIGINT) AS orders,
    coalesce(o.units, 0) AS units,
    coalesce(o.sales_amount, 0.0) AS sales_amount
FROM stg_customers AS c
FULL OUTER JOIN o ON c.customer_id = o.customer_id
