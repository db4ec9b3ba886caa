-- fact_order_decision: each triage decision (operational store, orders_decision) with the order's fulfilment.
-- operational: orders_decision (order_id VARCHAR, decided_at VARCHAR, action VARCHAR, reason VARCHAR, rule VARCHAR, flags VARCHAR, risk DOUBLE, late_risk DOUBLE, delivery_days_p50 DOUBLE, delivery_days_p90 DOUBLE, reasons VARCHAR, model_version VARCHAR, rules_source VARCHAR, ordered_at VARCHAR, review_status VARCHAR, reviewed_at VARCHAR)
-- One row per decided order, copied at every build. A person touched the order when the rules held it
-- (touched); an override is a person releasing a held order (review_status 'approved'); a hold confirmed
-- is a held order the person cancelled. Times are UTC, as the store writes them (ISO 8601).
SELECT
    d.order_id,
    CAST(substr(d.decided_at, 1, 19) AS TIMESTAMP) AS decided_at,
    coalesce(f.ordered_at, CAST(substr(d.ordered_at, 1, 19) AS TIMESTAMP)) AS ordered_at,
    CAST(coalesce(f.ordered_at, CAST(substr(d.ordered_at, 1, 19) AS TIMESTAMP)) AS DATE) AS order_date,
    d.action,
    d.reason,
    d.rule,
    d.flags,
    d.risk,
    d.late_risk,
    d.delivery_days_p50,
    d.delivery_days_p90,
    d.reasons,
    d.model_version,
    d.rules_source,
    d.review_status,
    CAST(substr(d.reviewed_at, 1, 19) AS TIMESTAMP) AS reviewed_at,
    d.action = 'hold' AS touched,
    d.review_status = 'approved' AS overridden,
    d.review_status = 'pending' AS awaiting_review,
    coalesce(f.warehouse, '(none)') AS warehouse,
    coalesce(f.carrier, '(none)') AS carrier,
    coalesce(f.ship_region, '(none)') AS ship_region,
    f.order_id IS NOT NULL AS in_warehouse,
    f.on_time,
    f.cancelled_at,
    f.delivered_at,
    f.promised_at
FROM ops_orders_decision AS d
LEFT JOIN fact_fulfilment AS f USING (order_id)
