-- fact_alert: every alert of the live monitor in its latest state (firing, acknowledged, resolved), with its lifecycle times.
SELECT
    alert_id,
    rule,
    kpi,
    severity,
    alert_group,
    state,
    condition_since,
    fired_at,
    CAST(fired_at AS DATE) AS fired_date,
    acked_at,
    acked_by,
    resolved_at,
    CAST(date_diff('microsecond', fired_at, coalesce(acked_at, resolved_at)) AS DOUBLE) / 6e7 AS minutes_to_response,
    CAST(date_diff('microsecond', fired_at, resolved_at) AS DOUBLE) / 6e7 AS minutes_open,
    last_value,
    expected,
    p_value,
    summary,
    silenced,
    copied_at
FROM (
    SELECT *, row_number() OVER (PARTITION BY alert_id ORDER BY copied_at DESC) AS _n
    FROM stg_live_alerts
) AS a
WHERE _n = 1
