-- dim_inventory_params: the clean, de-duplicated inventory_params table as it is (per-product overrides).
SELECT * FROM stg_inventory_params
