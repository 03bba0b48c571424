-- Products written before the service folded search words itself (migration 9 folded them in SQL:
-- lower case, accents kept) are folded again once, in Rust, by the service at start
-- (`catalog::refold`). Rows that exist now are marked as not yet folded; rows written from now on are
-- folded by the service as it writes them (the default).
ALTER TABLE products ADD COLUMN search_folded BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE products ALTER COLUMN search_folded SET DEFAULT TRUE;
CREATE INDEX products_to_refold ON products (vendor_id, id) WHERE NOT search_folded;

-- One-off tasks of the platform, done once for every instance.
CREATE TABLE maintenance_done (
    task    TEXT PRIMARY KEY,
    done_at TIMESTAMP NOT NULL
);
GRANT SELECT, INSERT ON maintenance_done TO multistore_app;
