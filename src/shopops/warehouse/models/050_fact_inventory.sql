-- fact_inventory: daily stock on hand with its value at cost (list price when no cost is known).
SELECT
    s.product_id,
    s.date,
    s.location,
    s.on_hand,
    s.on_hand * coalesce(p.unit_cost, p.unit_price) AS stock_value
FROM stg_stock AS s
LEFT JOIN dim_product AS p ON p.product_id = s.product_id
