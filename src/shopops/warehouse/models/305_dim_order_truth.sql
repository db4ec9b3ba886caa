-- dim_order_truth: what was really behind each order (bad-order kind, chargeback), where the source knows it.
SELECT * FROM stg_order_truth
