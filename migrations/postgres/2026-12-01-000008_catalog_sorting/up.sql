-- A storefront's sorts (CONTRACT.md sections 6 and 7), each served from an index of the store's live
-- products that ends with the id (ties are broken by id, so a keyset page never repeats or skips).
-- Names sort by `name_key`: the name in lower case (written by the service), compared byte by byte
-- ("C"), as SQLite compares it, so both backends order names alike.
ALTER TABLE products ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE products SET name_key = lower(name);
CREATE INDEX products_live_name ON products (vendor_id, name_key, id) WHERE deleted_at IS NULL;
CREATE INDEX products_live_price ON products (vendor_id, price_cents, id) WHERE deleted_at IS NULL;
CREATE INDEX products_live_created ON products (vendor_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX products_live_updated ON products (vendor_id, updated_at, id) WHERE deleted_at IS NULL;
