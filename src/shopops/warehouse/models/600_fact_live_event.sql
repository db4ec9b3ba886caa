-- fact_live_event: every live event taken over HTTP or Kafka, once per event_id (the first landed wins).
SELECT
    event_id,
    event_type,
    ts,
    CAST(ts AS DATE) AS event_date,
    session_id,
    customer_id,
    order_id,
    product_id,
    amount,
    quantity,
    received_at,
    transport
FROM (
    SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY received_at, content_hash) AS _n
    FROM stg_live_events
) AS e
WHERE _n = 1
