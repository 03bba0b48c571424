DROP FUNCTION catalog_search(tsquery);
DROP POLICY search_reads_every_store ON products;
REVOKE SELECT (id, vendor_id, deleted_at, search_vector) ON products FROM multistore_search;
REVOKE EXECUTE ON FUNCTION app_vendor_id() FROM multistore_search;
REVOKE USAGE ON SCHEMA public FROM multistore_search;
