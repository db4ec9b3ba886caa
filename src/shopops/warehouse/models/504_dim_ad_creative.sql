-- fact_ad_creative: creatives and ad groups of the campaigns.
SELECT * FROM stg_ad_creatives
