-- The log is read in order of (position, id) (see the PostgreSQL migration of the same version). SQLite
-- has one writer at a time, so ids are given in commit order and the position stays 0; ids must never
-- be given twice, even once retention has deleted the newest events, so the table is made again with
-- AUTOINCREMENT.
CREATE TABLE order_events_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_id         BIGINT NOT NULL REFERENCES vendors (id),
    order_id          BIGINT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('placed', 'status_changed', 'assigned', 'cancelled')),
    status            TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    actor_id          BIGINT,
    assigned_staff_id BIGINT,
    created_at        TIMESTAMP NOT NULL,
    position          BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT order_events_order_fkey FOREIGN KEY (vendor_id, order_id) REFERENCES orders (vendor_id, id),
    CONSTRAINT order_events_actor_fkey FOREIGN KEY (vendor_id, actor_id) REFERENCES users (vendor_id, id),
    CONSTRAINT order_events_staff_fkey FOREIGN KEY (vendor_id, assigned_staff_id) REFERENCES users (vendor_id, id)
);
INSERT INTO order_events_new (id, vendor_id, order_id, kind, status, actor_id, assigned_staff_id, created_at)
    SELECT id, vendor_id, order_id, kind, status, actor_id, assigned_staff_id, created_at FROM order_events;
DROP TABLE order_events;
ALTER TABLE order_events_new RENAME TO order_events;
CREATE INDEX order_events_order ON order_events (vendor_id, order_id, id);
-- The log of all stores (each instance's reader) and of one store (a subscriber's replay).
CREATE INDEX order_events_log ON order_events (position, id);
CREATE INDEX order_events_store_log ON order_events (vendor_id, position, id);
