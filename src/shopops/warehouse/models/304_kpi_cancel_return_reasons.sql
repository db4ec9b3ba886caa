-- kpi_cancel_return_reasons: cancelled and returned orders per month and reason.
SELECT CAST(date_trunc('month', cancelled_at) AS DATE) AS month, 'cancellation' AS kind,
       coalesce(cancel_reason, '(unknown)') AS reason, count(*) AS orders
FROM fact_fulfilment WHERE cancelled_at IS NOT NULL GROUP BY ALL
UNION ALL
SELECT CAST(date_trunc('month', returned_at) AS DATE), 'return', coalesce(return_reason, '(unknown)'), count(*)
FROM fact_fulfilment WHERE returned_at IS NOT NULL GROUP BY ALL
