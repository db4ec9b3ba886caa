-- fact_message: the clean, de-duplicated messages table as it is.
SELECT * FROM stg_messages
