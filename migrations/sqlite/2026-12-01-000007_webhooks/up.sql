-- Store webhooks (see the PostgreSQL migration of the same version).
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_id  BIGINT NOT NULL REFERENCES vendors (id),
    url        TEXT NOT NULL,
    on_placed  BOOLEAN NOT NULL,
    on_updated BOOLEAN NOT NULL,
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT webhooks_tenant UNIQUE (vendor_id, id)
);

-- What a delivery's event refers to (SQLite wants the parent key of a foreign key unique).
CREATE UNIQUE INDEX order_events_tenant ON order_events (vendor_id, id);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_id        BIGINT NOT NULL REFERENCES vendors (id),
    webhook_id       BIGINT NOT NULL,
    event_id         BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    next_attempt_at  TIMESTAMP,
    retry_until      TIMESTAMP NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    CONSTRAINT webhook_deliveries_once UNIQUE (vendor_id, webhook_id, event_id),
    CONSTRAINT webhook_deliveries_webhook_fkey FOREIGN KEY (vendor_id, webhook_id)
        REFERENCES webhooks (vendor_id, id) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_event_fkey FOREIGN KEY (vendor_id, event_id)
        REFERENCES order_events (vendor_id, id) ON DELETE CASCADE
);
-- Due deliveries, and an endpoint's due deliveries (claims take a few per endpoint).
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries (vendor_id, webhook_id, next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_of_webhook ON webhook_deliveries (vendor_id, webhook_id, id);
CREATE INDEX order_events_age ON order_events (created_at);

CREATE TABLE webhook_fanout (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position BIGINT NOT NULL,
    event_id BIGINT NOT NULL
);
INSERT INTO webhook_fanout (id, position, event_id)
    SELECT 1, COALESCE(MAX(position), 0), COALESCE(MAX(id), 0) FROM order_events;
