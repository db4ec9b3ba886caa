-- fact_order: one row per order document (sales orders, cancellation and return documents),
-- dated by its first line, with the money of its lines split by what they are (units and
-- gross_sales sum the line measures of fact_order_line).
-- customer_id, country and channel are those of the order's first line that has one (by time, line
-- number, then value), so every build gives the same answer when lines disagree; such orders are
-- listed in quality_order_conflict.
WITH o AS (
    SELECT
        order_id,
        min(ordered_at) AS ordered_at,
        arg_min(customer_id, struct_pack(t := ordered_at, n := line_no, v := customer_id))
            FILTER (WHERE customer_id IS NOT NULL) AS customer_id,
        arg_min(country, struct_pack(t := ordered_at, n := line_no, v := country))
            FILTER (WHERE country IS NOT NULL) AS country,
        arg_min(channel, struct_pack(t := ordered_at, n := line_no, v := channel))
            FILTER (WHERE channel IS NOT NULL) AS channel,
        count(*) AS lines,
        CAST(sum(sold_units) AS BIGINT) AS units,
        sum(gross_sales) AS gross_sales,
        sum(CASE WHEN is_sale THEN discount ELSE 0 END) AS line_discounts,
        0.0 - sum(CASE WHEN line_type = 'discount' THEN net_amount ELSE 0 END) AS discount_lines,
        0.0 - sum(CASE WHEN line_type = 'cancellation' AND is_product THEN gross_amount ELSE 0 END)
            AS cancellations,
        0.0 - sum(CASE WHEN line_type = 'return' AND is_product THEN gross_amount ELSE 0 END) AS returns,
        sum(CASE WHEN line_type = 'shipping' THEN gross_amount ELSE 0 END) AS shipping_revenue,
        sum(net_amount) AS net_amount,
        max(CASE WHEN is_sale THEN 1 ELSE 0 END) AS is_sale
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
    o.line_discounts,
    o.discount_lines,
    o.cancellations,
    o.returns,
    o.shipping_revenue,
    o.net_amount,
    o.is_sale = 1 AS is_sale,
    h.status,
    h.payment_type,
    h.promised_at,
    h.shipped_at,
    h.delivered_at,
    h.ship_city,
    h.ship_country
FROM o
LEFT JOIN stg_orders AS h ON h.order_id = o.order_id
