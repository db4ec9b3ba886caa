-- dim_campaign: the campaigns with their creatives counted.
SELECT c.*, (SELECT count(*) FROM stg_ad_creatives AS k WHERE k.campaign_id = c.campaign_id) AS creatives
FROM stg_campaigns AS c
