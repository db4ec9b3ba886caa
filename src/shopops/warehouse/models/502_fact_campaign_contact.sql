-- fact_campaign_contact: customers of campaign experiments, with their arm and outcome.
SELECT * FROM stg_campaign_contacts
