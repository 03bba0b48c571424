DROP TRIGGER products_fts_update;
DROP TRIGGER products_fts_delete;
DROP TRIGGER products_fts_insert;
DROP TABLE products_fts;
ALTER TABLE products DROP COLUMN search_description;
ALTER TABLE products DROP COLUMN search_name;
