-- fact_event: the clean, de-duplicated web_events table as it is.
SELECT * FROM stg_web_events
