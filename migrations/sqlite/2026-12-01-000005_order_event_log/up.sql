-- The order event log: one row per change of an order, written in the change's own transaction (see the
-- PostgreSQL migration of the same version).
CREATE TABLE order_events (
    id                INTEGER PRIMARY KEY,
    vendor_id         BIGINT NOT NULL REFERENCES vendors (id),
    order_id          BIGINT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('placed', 'status_changed', 'assigned', 'cancelled')),
    status            TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    actor_id          BIGINT,
    assigned_staff_id BIGINT,
    created_at        TIMESTAMP NOT NULL,
    CONSTRAINT order_events_order_fkey FOREIGN KEY (vendor_id, order_id) REFERENCES orders (vendor_id, id),
    CONSTRAINT order_events_actor_fkey FOREIGN KEY (vendor_id, actor_id) REFERENCES users (vendor_id, id),
    CONSTRAINT order_events_staff_fkey FOREIGN KEY (vendor_id, assigned_staff_id) REFERENCES users (vendor_id, id)
);
CREATE INDEX order_events_order ON order_events (vendor_id, order_id, id);
