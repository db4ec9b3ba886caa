-- fact_ad_impression: the clean, de-duplicated impression log.
SELECT * FROM stg_ad_impressions
