-- dim_supplier: the clean, de-duplicated suppliers table as it is.
SELECT * FROM stg_suppliers
