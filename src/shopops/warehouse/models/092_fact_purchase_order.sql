-- fact_purchase_order: the clean, de-duplicated purchase_orders table as it is.
SELECT * FROM stg_purchase_orders
