DROP FUNCTION catalog_search(tsquery);
DROP POLICY search_reads_every_store ON products;
REVOKE SELECT (id, vendor_id, deleted_at, search_vector) ON products FROM multistore_search;
REVOKE EXECUTE ON FUNCTION app_vendor_id() FROM multistore_search;
REVOKE USAGE ON SCHEMA public FROM multistore_search;
DROP INDEX products_live_search;
ALTER TABLE products DROP COLUMN search_vector;
ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS
    (array_to_tsvector(array_remove(string_to_array(search_name || ' ' || search_description, ' '), ''))) STORED;
CREATE INDEX products_live_search ON products USING gin (vendor_id, search_vector) WHERE deleted_at IS NULL;
