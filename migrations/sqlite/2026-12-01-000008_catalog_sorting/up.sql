-- A storefront's sorts (see the PostgreSQL migration of the same version). SQLite compares text byte
-- by byte; `lower()` here folds ASCII only, the service writes the full lower case from now on.
ALTER TABLE products ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE products SET name_key = lower(name);
CREATE INDEX products_live_name ON products (vendor_id, name_key, id) WHERE deleted_at IS NULL;
CREATE INDEX products_live_price ON products (vendor_id, price_cents, id) WHERE deleted_at IS NULL;
CREATE INDEX products_live_created ON products (vendor_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX products_live_updated ON products (vendor_id, updated_at, id) WHERE deleted_at IS NULL;
