-- dim_product: every code that appears in the catalogue or on an order line.
-- is_product: the catalogue's flag; for codes only seen on order lines, true when they ever
-- appear on goods lines (sale, return, cancellation, write-off).
WITH seen AS (
    SELECT product_id,
           min(ordered_at) AS first_line_at,
           max(ordered_at) AS last_line_at,
           max(CASE WHEN coalesce(line_type, CASE WHEN quantity < 0 THEN 'return' ELSE 'sale' END)
                         IN ('sale', 'return', 'cancellation', 'writeoff') THEN 1 ELSE 0 END)
               AS goods_lines
    FROM stg_order_lines
    GROUP BY product_id
)
SELECT
    coalesce(p.product_id, s.product_id) AS product_id,
    coalesce(p.name, coalesce(p.product_id, s.product_id)) AS name,
    coalesce(p.category, 'uncategorised') AS category,
    p.unit_price,
    p.unit_cost,
    p.supplier_id,
    coalesce(p.is_product, s.goods_lines = 1, TRUE) AS is_product,
    coalesce(p.launched_at, CAST(s.first_line_at AS DATE)) AS launched_at,
    p.discontinued_at,
    s.first_line_at,
    s.last_line_at
FROM stg_products AS p
FULL OUTER JOIN seen AS s ON p.product_id = s.product_id
