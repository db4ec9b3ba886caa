-- fact_fulfilment: one row per sales order with its lifecycle, durations (hours) and on-time flag.
-- Times come from order_fulfilment when the source has it, else from the order header; durations
-- are measured from the order moment; on_time compares delivery with the promise. Impossible
-- sequences (delivered before shipped, shipped before ordered, …) are named in timestamp_problem
-- and give no duration or on-time flag, so they cannot teach a model or a KPI anything false.
-- Durations are exact (microseconds, as a DOUBLE), so both engines give the same hours: in seconds DuckDB
-- counts boundaries crossed and Spark whole seconds elapsed, and Spark divides by a literal 3600.0 as a
-- DECIMAL, rounding to 6 places.
WITH j AS (
    SELECT h.*, f.* EXCLUDE (order_id, shipped_at, delivered_at, promised_at),
           coalesce(f.shipped_at, h.shipped_at) AS shipped_at_,
           coalesce(f.delivered_at, h.delivered_at) AS delivered_at_,
           coalesce(f.promised_at, h.promised_at) AS promised_at_
    FROM stg_orders AS h LEFT JOIN stg_order_fulfilment AS f USING (order_id)
), p AS (
    SELECT *, CASE
        WHEN delivered_at_ < shipped_at_ THEN 'delivered before shipped'
        WHEN shipped_at_ < ordered_at THEN 'shipped before ordered'
        WHEN delivered_at_ < ordered_at THEN 'delivered before ordered'
        WHEN paid_at < ordered_at - INTERVAL 1 DAY THEN 'paid before ordered'
        WHEN promised_at_ < ordered_at THEN 'promised before ordered'
        WHEN delivered_at_ IS NOT NULL AND shipped_at_ IS NULL AND f_has THEN 'delivered but never shipped'
    END AS timestamp_problem
    FROM (SELECT *, warehouse IS NOT NULL OR carrier IS NOT NULL AS f_has FROM j)
)
SELECT
    order_id,
    customer_id,
    ordered_at,
    CAST(ordered_at AS DATE) AS order_date,
    CAST(date_trunc('week', ordered_at) AS DATE) AS order_week,
    status,
    channel,
    payment_type,
    ship_city,
    ship_country,
    coalesce(ship_region, ship_city) AS ship_region,
    warehouse,
    warehouse_region,
    carrier,
    service,
    freight,
    installments,
    address_check,
    paid_at,
    released_at,
    picked_at,
    packed_at,
    shipped_at_ AS shipped_at,
    delivered_at_ AS delivered_at,
    promised_at_ AS promised_at,
    shipping_limit_at,
    cancelled_at,
    cancel_reason,
    returned_at,
    return_reason,
    timestamp_problem,
    CASE WHEN timestamp_problem IS NULL THEN CAST(date_diff('microsecond', ordered_at, paid_at) AS DOUBLE) / 3.6e9
    END AS hours_to_payment,
    CASE WHEN timestamp_problem IS NULL THEN CAST(date_diff('microsecond', ordered_at, released_at) AS DOUBLE) / 3.6e9
    END AS hours_to_release,
    CASE WHEN timestamp_problem IS NULL THEN CAST(date_diff('microsecond', ordered_at, shipped_at_) AS DOUBLE) / 3.6e9
    END AS hours_to_ship,
    CASE WHEN timestamp_problem IS NULL THEN CAST(date_diff('microsecond', ordered_at, delivered_at_) AS DOUBLE) / 3.6e9
    END AS hours_to_delivery,
    CASE WHEN delivered_at_ IS NULL OR promised_at_ IS NULL OR timestamp_problem IS NOT NULL
         THEN NULL
         ELSE delivered_at_ <= promised_at_ END AS on_time
FROM p
