-- fact_demand_day: units demanded of each real product per day, the one definition of demand (forecasts, inventory plans).
-- units   = units on sale lines - units on cancellation lines of the same product dated the same
--           day, never below 0. Cancellations net against their own day: most are same-day
--           corrections (Online Retail's 80,995- and 74,215-unit orders), and a day never goes
--           negative, so a cancellation never removes another day's demand.
-- revenue = gross amount of the same lines, never below 0.
-- Only days with units > 0 are rows: a product's missing days had no demand.
SELECT
    l.product_id,
    min(l.category) AS category,  -- one per product (from dim_product); min keeps builds identical
    l.order_date AS day,
    CAST(greatest(sum(l.quantity), 0) AS DOUBLE) AS units,
    CAST(greatest(sum(l.gross_amount), 0) AS DOUBLE) AS revenue
FROM fact_order_line AS l
WHERE l.line_type IN ('sale', 'cancellation') AND l.is_product
GROUP BY l.product_id, l.order_date
HAVING sum(l.quantity) > 0
