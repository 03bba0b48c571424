-- Products written before the service folded search words itself (migration 9 lowered ASCII letters
-- only) are folded again once, in Rust, by the service at start (`catalog::refold`). Rows that exist
-- now are marked as not yet folded; rows written from now on are folded as they are written.
ALTER TABLE products ADD COLUMN search_folded BOOLEAN NOT NULL DEFAULT 1;
UPDATE products SET search_folded = 0;
CREATE INDEX products_to_refold ON products (vendor_id, id) WHERE NOT search_folded;

-- One-off tasks of the platform, done once for every instance.
CREATE TABLE maintenance_done (
    task    TEXT PRIMARY KEY NOT NULL,
    done_at TIMESTAMP NOT NULL
);
