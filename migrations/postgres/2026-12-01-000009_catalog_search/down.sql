DROP INDEX products_live_search;
ALTER TABLE products DROP COLUMN search_vector, DROP COLUMN search_description, DROP COLUMN search_name;
