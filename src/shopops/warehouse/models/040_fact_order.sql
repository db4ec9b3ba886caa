-- fact_order: one row per order document (sales orders, cancellation and return documents).
-- customer_order_no numbers a customer's sales orders in time (1 = first order).
WITH o AS (
    SELECT
        order_id,
        min(ordered_at) AS ordered_at,
        max(customer_id) AS customer_id,
        max(country) AS country,
        max(channel) AS channel,
        count(*) AS lines,
        sum(CASE WHEN line_type = 'sale' AND is_product THEN quantity ELSE 0 END) AS units,
        sum(CASE WHEN line_type = 'sale' AND is_product THEN gross_amount ELSE 0 END) AS gross_sales,
        sum(net_amount) AS net_amount,
        max(CASE WHEN line_type = 'sale' AND is_product THEN 1 ELSE 0 END) AS is_sale
    FROM fact_order_line
    GROUP BY order_id
)
SELECT
    o.order_id,
    o.ordered_at,
    CAST(o.ordered_at AS DATE) AS order_date,
    o.customer_id,
    o.country,
    coalesce(o.channel, h.channel) AS channel,
    o.lines,
    o.units,
    o.gross_sales,
    o.net_amount,
    o.is_sale = 1 AS is_sale,
    CASE WHEN o.is_sale = 1 AND o.customer_id IS NOT NULL THEN
        row_number() OVER (PARTITION BY o.customer_id, o.is_sale ORDER BY o.ordered_at, o.order_id)
    END AS customer_order_no,
    h.status,
    h.payment_type,
    h.promised_at,
    h.shipped_at,
    h.delivered_at,
    h.ship_city,
    h.ship_country
FROM o
LEFT JOIN stg_orders AS h ON h.order_id = o.order_id
