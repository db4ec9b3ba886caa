-- fact_order_line: every order line kept, with its type and money.
-- gross_amount = quantity * unit_price (negative on returns and cancellations);
-- net_amount = gross_amount - discount. Lines without a type are sales (quantity > 0) or returns.
-- The sales measures of a line, defined once here so every total (fact_order, the KPI models, the
-- facade's top products, the API) sums the same numbers:
--   is_sale      a product sale: a 'sale' line of a real product
--   sold_units   quantity on a product sale, else 0
--   gross_sales  gross_amount on a product sale, else 0
--   net_sales    net_amount on a product sale, cancellation or return, else 0
WITH typed AS (
    SELECT
        l.order_id,
        l.line_no,
        l.ordered_at,
        CAST(l.ordered_at AS DATE) AS order_date,
        l.product_id,
        l.customer_id,
        l.quantity,
        l.unit_price,
        coalesce(l.discount, 0.0) AS discount,
        coalesce(l.line_type, CASE WHEN l.quantity < 0 THEN 'return' ELSE 'sale' END) AS line_type,
        l.country,
        l.channel,
        l.quantity * l.unit_price AS gross_amount,
        l.quantity * l.unit_price - coalesce(l.discount, 0.0) AS net_amount,
        coalesce(p.is_product, TRUE) AS is_product,
        coalesce(p.category, 'uncategorised') AS category
    FROM stg_order_lines AS l
    LEFT JOIN dim_product AS p ON p.product_id = l.product_id
)
SELECT
    typed.*,
    typed.line_type = 'sale' AND typed.is_product AS is_sale,
    CASE WHEN typed.line_type = 'sale' AND typed.is_product THEN typed.quantity ELSE 0 END AS sold_units,
    CASE WHEN typed.line_type = 'sale' AND typed.is_product THEN typed.gross_amount ELSE 0 END AS gross_sales,
    CASE WHEN typed.line_type IN ('sale', 'cancellation', 'return') AND typed.is_product
        THEN typed.net_amount ELSE 0 END AS net_sales
FROM typed
