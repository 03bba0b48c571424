-- Stores on several domains, and the platform's operator (CONTRACT.md sections 2, 4 and 6). The
-- PostgreSQL migration says why each table is as it is; row-level security and roles have no SQLite
-- counterpart.
CREATE TABLE store_domains (
    domain     TEXT NOT NULL PRIMARY KEY,
    vendor_id  INTEGER NOT NULL REFERENCES vendors (id),
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT store_domains_lower CHECK (domain = lower(domain))
);
CREATE INDEX store_domains_of_store ON store_domains (vendor_id);
CREATE UNIQUE INDEX store_domains_one_primary ON store_domains (vendor_id) WHERE is_primary;
INSERT INTO store_domains (domain, vendor_id, is_primary, created_at)
    SELECT domain, id, TRUE, created_at FROM vendors;

ALTER TABLE vendors ADD COLUMN suspended_at TIMESTAMP;

CREATE TABLE platform_admins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL,
    CONSTRAINT platform_admins_username_key UNIQUE (username)
);

CREATE TABLE store_suspensions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_id INTEGER NOT NULL REFERENCES vendors (id),
    action    TEXT NOT NULL CHECK (action IN ('suspended', 'reactivated')),
    reason    TEXT,
    admin_id  INTEGER NOT NULL REFERENCES platform_admins (id),
    at        TIMESTAMP NOT NULL
);
CREATE INDEX store_suspensions_of_store ON store_suspensions (vendor_id, id);
