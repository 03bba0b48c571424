DROP INDEX products_live_updated;
DROP INDEX products_live_created;
DROP INDEX products_live_price;
DROP INDEX products_live_name;
ALTER TABLE products DROP COLUMN name_key;
