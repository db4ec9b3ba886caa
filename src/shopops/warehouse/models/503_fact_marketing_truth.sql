-- fact_marketing_truth: the simulator's true marketing response (empty for a real shop).
SELECT * FROM stg_marketing_truth
