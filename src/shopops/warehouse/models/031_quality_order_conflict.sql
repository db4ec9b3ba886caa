-- quality_order_conflict: orders whose lines disagree on the customer, country or channel, one row per
-- order and column: how many lines carry a value, the smallest and largest value, and the value fact_order
-- kept (that of the order's first line with one). An order id used by two sources shows up here.
WITH spread AS (
    SELECT
        order_id,
        count(customer_id) AS customer_id_lines, min(customer_id) AS customer_id_min,
        max(customer_id) AS customer_id_max,
        count(country) AS country_lines, min(country) AS country_min, max(country) AS country_max,
        count(channel) AS channel_lines, min(channel) AS channel_min, max(channel) AS channel_max
    FROM fact_order_line
    GROUP BY order_id
    HAVING min(customer_id) <> max(customer_id) OR min(country) <> max(country) OR min(channel) <> max(channel)
)
SELECT s.order_id, 'customer_id' AS column_name, s.customer_id_lines AS lines, s.customer_id_min AS min_value,
       s.customer_id_max AS max_value, o.customer_id AS kept
FROM spread AS s JOIN fact_order AS o ON o.order_id = s.order_id
WHERE s.customer_id_min <> s.customer_id_max
UNION ALL
SELECT s.order_id, 'country', s.country_lines, s.country_min, s.country_max, o.country
FROM spread AS s JOIN fact_order AS o ON o.order_id = s.order_id
WHERE s.country_min <> s.country_max
UNION ALL
SELECT s.order_id, 'channel', s.channel_lines, s.channel_min, s.channel_max, o.channel
FROM spread AS s JOIN fact_order AS o ON o.order_id = s.order_id
WHERE s.channel_min <> s.channel_max
