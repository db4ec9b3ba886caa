-- fact_fulfilment: one row per sales order with its lifecycle, durations (hours) and on-time flag.
-- Times come from order_fulfilment when the source has it, else from the order header; durations
-- are measured from the order moment; on_time compares delivery with the promise.
SELECT
    h.order_id,
    h.customer_id,
    h.ordered_at,
    CAST(h.ordered_at AS DATE) AS order_date,
    CAST(date_trunc('week', h.ordered_at) AS DATE) AS order_week,
    h.status,
    h.channel,
    h.payment_type,
    h.ship_city,
    h.ship_country,
    coalesce(f.ship_region, h.ship_city) AS ship_region,
    f.warehouse,
    f.warehouse_region,
    f.carrier,
    f.service,
    f.freight,
    f.installments,
    f.address_check,
    f.paid_at,
    f.released_at,
    f.picked_at,
    f.packed_at,
    coalesce(f.shipped_at, h.shipped_at) AS shipped_at,
    coalesce(f.delivered_at, h.delivered_at) AS delivered_at,
    coalesce(f.promised_at, h.promised_at) AS promised_at,
    f.shipping_limit_at,
    f.cancelled_at,
    f.cancel_reason,
    f.returned_at,
    f.return_reason,
    date_diff('second', h.ordered_at, f.paid_at) / 3600.0 AS hours_to_payment,
    date_diff('second', h.ordered_at, f.released_at) / 3600.0 AS hours_to_release,
    date_diff('second', h.ordered_at, coalesce(f.shipped_at, h.shipped_at)) / 3600.0 AS hours_to_ship,
    date_diff('second', h.ordered_at, coalesce(f.delivered_at, h.delivered_at)) / 3600.0 AS hours_to_delivery,
    CASE WHEN coalesce(f.delivered_at, h.delivered_at) IS NULL OR coalesce(f.promised_at, h.promised_at) IS NULL
         THEN NULL
         ELSE coalesce(f.delivered_at, h.delivered_at) <= coalesce(f.promised_at, h.promised_at) END AS on_time
FROM stg_orders AS h
LEFT JOIN stg_order_fulfilment AS f USING (order_id)
