-- The whole data model. Every tenant table carries vendor_id and is referenced by (vendor_id, id), so the
-- database itself refuses a row that points into another tenant. Money is BIGINT minor units (cents).

CREATE TABLE vendors (
    id            INTEGER PRIMARY KEY,
    store_name    TEXT NOT NULL,
    domain        TEXT NOT NULL,
    contact_email TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CONSTRAINT vendors_domain_key UNIQUE (domain),
    CONSTRAINT vendors_domain_lower CHECK (domain = lower(domain))
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    vendor_id     BIGINT NOT NULL REFERENCES vendors (id),
    username      TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('owner', 'staff', 'customer')),
    is_active     BOOLEAN NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CONSTRAINT users_vendor_id_id_key UNIQUE (vendor_id, id)
);
-- Usernames are unique per tenant, compared without case ("Alice" and "alice" are one account).
CREATE UNIQUE INDEX users_vendor_username_key ON users (vendor_id, lower(username));
CREATE INDEX users_vendor_role_id ON users (vendor_id, role, id);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    vendor_id   BIGINT NOT NULL REFERENCES vendors (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price_cents BIGINT NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000000),
    stock       INTEGER NOT NULL CHECK (stock BETWEEN 0 AND 1000000000),
    deleted_at  TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    CONSTRAINT products_vendor_id_id_key UNIQUE (vendor_id, id)
);
-- The catalog lists live products of one tenant by id: a partial index keeps deleted ones out of the way.
CREATE INDEX products_vendor_live_id ON products (vendor_id, id) WHERE deleted_at IS NULL;

CREATE TABLE orders (
    id                INTEGER PRIMARY KEY,
    vendor_id         BIGINT NOT NULL REFERENCES vendors (id),
    customer_id       BIGINT NOT NULL,
    assigned_staff_id BIGINT,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    address           TEXT NOT NULL,
    total_cents       BIGINT NOT NULL CHECK (total_cents >= 0),
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    CONSTRAINT orders_vendor_id_id_key UNIQUE (vendor_id, id),
    CONSTRAINT orders_customer_fkey FOREIGN KEY (vendor_id, customer_id) REFERENCES users (vendor_id, id),
    CONSTRAINT orders_assigned_staff_fkey FOREIGN KEY (vendor_id, assigned_staff_id) REFERENCES users (vendor_id, id)
);
CREATE INDEX orders_vendor_status_id ON orders (vendor_id, status, id);
CREATE INDEX orders_vendor_customer_id ON orders (vendor_id, customer_id, id);
CREATE INDEX orders_vendor_staff_id ON orders (vendor_id, assigned_staff_id, id);

CREATE TABLE order_items (
    id               INTEGER PRIMARY KEY,
    vendor_id        BIGINT NOT NULL REFERENCES vendors (id),
    order_id         BIGINT NOT NULL,
    product_id       BIGINT NOT NULL,
    product_name     TEXT NOT NULL,
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    quantity         INTEGER NOT NULL CHECK (quantity >= 1),
    CONSTRAINT order_items_order_product_key UNIQUE (vendor_id, order_id, product_id),
    CONSTRAINT order_items_order_fkey FOREIGN KEY (vendor_id, order_id) REFERENCES orders (vendor_id, id),
    CONSTRAINT order_items_product_fkey FOREIGN KEY (vendor_id, product_id) REFERENCES products (vendor_id, id)
);

CREATE TABLE refresh_tokens (
    id          INTEGER PRIMARY KEY,
    vendor_id   BIGINT NOT NULL REFERENCES vendors (id),
    user_id     BIGINT NOT NULL,
    -- SHA-256 of the opaque token, hex: the token itself is never stored.
    token_hash  TEXT NOT NULL,
    -- Every token minted by rotation from one login shares its family; reuse of a rotated one revokes it all.
    family_id   TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    rotated_at  TIMESTAMP,
    revoked_at  TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (vendor_id, user_id) REFERENCES users (vendor_id, id)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (vendor_id, family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (vendor_id, user_id);

CREATE TABLE idempotency_keys (
    vendor_id    BIGINT NOT NULL REFERENCES vendors (id),
    customer_id  BIGINT NOT NULL,
    key          TEXT NOT NULL,
    -- Fingerprint of the request (merged lines and address), so a reuse with another payload is a CONFLICT.
    request_hash TEXT NOT NULL,
    -- Set in the transaction that takes the key, before it commits: a committed key always has its order.
    order_id     BIGINT,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (vendor_id, customer_id, key),
    CONSTRAINT idempotency_keys_customer_fkey FOREIGN KEY (vendor_id, customer_id) REFERENCES users (vendor_id, id),
    CONSTRAINT idempotency_keys_order_fkey FOREIGN KEY (vendor_id, order_id) REFERENCES orders (vendor_id, id)
);
