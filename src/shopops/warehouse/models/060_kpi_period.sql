-- kpi_period: the shop's KPIs by day, ISO week (starting Monday) and calendar month.
-- Definitions (docs/data.md): product sales are 'sale' lines of real products; amounts are dated
-- by their order (document) date, so one order never splits across periods.
--   gross_sales       sum of quantity * unit_price on product sales
--   discounts         line discounts on product sales + discount lines (as a positive amount)
--   cancellations     value of cancelled product lines (positive)
--   returns           value of returned product lines (positive)
--   net_sales         gross_sales - discounts - cancellations - returns
--   orders            orders with at least one product sale
--   units             units on product sales
--   aov               (gross_sales - line discounts) / orders
--   customers         distinct known customers with a product sale in the period
--   new_customers     of those, customers whose first product sale ever falls in the period
--   returning_customers  customers - new_customers
--   repeat_rate       returning_customers / customers
--   cancellation_rate cancellations / gross_sales
--   return_rate       returns / gross_sales
--   shipping_revenue  postage and carriage charged (shipping lines)
WITH grains AS (
    SELECT 'day' AS grain UNION ALL SELECT 'week' UNION ALL SELECT 'month'
),
orders AS (
    SELECT
        g.grain,
        CASE g.grain
            WHEN 'day' THEN f.order_date
            WHEN 'week' THEN CAST(date_trunc('week', f.order_date) AS DATE)
            ELSE CAST(date_trunc('month', f.order_date) AS DATE)
        END AS period_start,
        f.*,
        CAST(c.first_sale_at AS DATE) AS first_sale_date
    FROM fact_order AS f
    CROSS JOIN grains AS g
    LEFT JOIN dim_customer AS c ON c.customer_id = f.customer_id
),
agg AS (
    SELECT
        grain,
        period_start,
        sum(gross_sales) AS gross_sales,
        sum(line_discounts) AS line_discounts,
        sum(discount_lines) AS discount_lines,
        sum(cancellations) AS cancellations,
        sum(returns) AS returns,
        sum(shipping_revenue) AS shipping_revenue,
        sum(CASE WHEN is_sale THEN 1 ELSE 0 END) AS orders,
        CAST(sum(units) AS BIGINT) AS units,
        count(DISTINCT CASE WHEN is_sale THEN customer_id END) AS customers,
        count(DISTINCT CASE WHEN is_sale AND first_sale_date >= period_start THEN customer_id END)
            AS new_customers,
        sum(CASE WHEN is_sale AND customer_id IS NULL THEN 1 ELSE 0 END) AS guest_orders
    FROM orders
    GROUP BY grain, period_start
)
SELECT
    grain,
    period_start,
    gross_sales,
    line_discounts + discount_lines AS discounts,
    cancellations,
    returns,
    gross_sales - line_discounts - discount_lines - cancellations - returns AS net_sales,
    CAST(orders AS BIGINT) AS orders,
    units,
    CASE WHEN orders > 0 THEN (gross_sales - line_discounts) / orders END AS aov,
    customers,
    new_customers,
    customers - new_customers AS returning_customers,
    CASE WHEN customers > 0 THEN CAST(customers - new_customers AS DOUBLE) / customers END AS repeat_rate,
    CASE WHEN gross_sales > 0 THEN cancellations / gross_sales END AS cancellation_rate,
    CASE WHEN gross_sales > 0 THEN returns / gross_sales END AS return_rate,
    shipping_revenue,
    CAST(guest_orders AS BIGINT) AS guest_orders
FROM agg
