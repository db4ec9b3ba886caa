-- fact_demand_truth: the clean, de-duplicated demand_truth table as it is.
SELECT * FROM stg_demand_truth
