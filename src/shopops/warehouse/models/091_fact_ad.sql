-- fact_ad: the clean, de-duplicated ad_stats table as it is.
SELECT * FROM stg_ad_stats
