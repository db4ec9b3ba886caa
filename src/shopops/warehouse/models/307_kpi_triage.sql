-- kpi_triage: triage per order day × warehouse (grain 'day') and per order week (Monday) × warehouse (grain 'week').
-- decided: orders with a triage decision; automation_rate: share decided without a person (not held); held;
-- reviewed (a person approved or cancelled a held order); overridden (held, then released by a person);
-- awaiting_review; approved and cancelled automatically; late_flagged (flagged 'expedite'); mean scores.
SELECT
    CASE WHEN grouping(order_date) = 0 THEN 'day' ELSE 'week' END AS grain,
    coalesce(order_date, order_week) AS period,
    warehouse,
    count(*) AS decided,
    avg(CASE WHEN touched THEN 0.0 ELSE 1.0 END) AS automation_rate,
    CAST(sum(CASE WHEN touched THEN 1 ELSE 0 END) AS BIGINT) AS held,
    CAST(sum(CASE WHEN review_status IN ('approved', 'cancelled') THEN 1 ELSE 0 END) AS BIGINT) AS reviewed,
    CAST(sum(CASE WHEN overridden THEN 1 ELSE 0 END) AS BIGINT) AS overridden,
    CAST(sum(CASE WHEN awaiting_review THEN 1 ELSE 0 END) AS BIGINT) AS awaiting_review,
    CAST(sum(CASE WHEN action = 'approve' THEN 1 ELSE 0 END) AS BIGINT) AS approved_automatically,
    CAST(sum(CASE WHEN action = 'cancel' THEN 1 ELSE 0 END) AS BIGINT) AS cancelled_automatically,
    CAST(sum(CASE WHEN flags LIKE '%expedite%' THEN 1 ELSE 0 END) AS BIGINT) AS late_flagged,
    avg(risk) AS mean_risk,
    avg(late_risk) AS mean_late_risk
FROM (SELECT *, CAST(date_trunc('week', order_date) AS DATE) AS order_week FROM fact_order_decision)
GROUP BY GROUPING SETS ((order_date, warehouse), (order_week, warehouse))
