DROP TABLE maintenance_done;
DROP INDEX products_to_refold;
ALTER TABLE products DROP COLUMN search_folded;
