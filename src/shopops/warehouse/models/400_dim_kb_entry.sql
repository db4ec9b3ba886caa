-- dim_kb_entry: the customer-service knowledge base, one row per question variant of an entry; a later
-- knowledge-base batch replaces the question variants it repeats.
SELECT * FROM stg_kb_entries
