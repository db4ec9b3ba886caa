-- agg_order_span: the days of orders whose sales of one product (kind 'product') or one category (kind 'category') fall on more than one day.
-- Summing daily distinct orders counts such an order once per day; a range read subtracts, per key,
-- its rows in the range minus its distinct orders there. Usually empty: an order is placed on one day.
WITH pairs AS (
    SELECT 'product' AS kind, product_id AS key, order_id, order_date AS day
    FROM fact_order_line WHERE is_sale
    UNION
    SELECT 'category' AS kind, category AS key, order_id, order_date AS day
    FROM fact_order_line WHERE is_sale
),
spanning AS (
    SELECT kind, key, order_id FROM pairs GROUP BY kind, key, order_id HAVING count(*) > 1
)
SELECT p.kind, p.key, p.order_id, p.day
FROM pairs AS p
INNER JOIN spanning AS s ON s.kind = p.kind AND s.key = p.key AND s.order_id = p.order_id
ORDER BY p.kind, p.key, p.order_id, p.day
