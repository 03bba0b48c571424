-- Subscriptions are fed from the event log instead of a trigger's notifications (docs/design.md, "Order
-- events"). The trigger's pg_notify took the notification queue's lock at every order's commit, which
-- serialised the commits of the whole database; it goes.
DROP TRIGGER orders_announce_change ON orders;
DROP FUNCTION announce_order_change();

-- Where an event stands in the order the log is delivered in: the id of the transaction that wrote it
-- (never less than the position of the order's event before it, which the writer passes when it is
-- not the first). A reader takes only events below the oldest transaction still running
-- (pg_snapshot_xmin), so no event can later appear before what it has read; ties go by id.
ALTER TABLE order_events
    ADD COLUMN position BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
-- The log of all stores (each instance's reader) and of one store (a subscriber's replay).
CREATE INDEX order_events_log ON order_events (position, id);
CREATE INDEX order_events_store_log ON order_events (vendor_id, position, id);

-- The role of the instances' own background work (reading the log for every store's subscribers):
-- it reads events and orders of every store, and nothing else, and changes nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'multistore_worker') THEN
        CREATE ROLE multistore_worker NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;
GRANT multistore_worker TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO multistore_worker;
GRANT EXECUTE ON FUNCTION app_vendor_id() TO multistore_worker;
GRANT SELECT ON order_events, orders TO multistore_worker;
CREATE POLICY worker_reads ON order_events FOR SELECT TO multistore_worker USING (true);
CREATE POLICY worker_reads ON orders FOR SELECT TO multistore_worker USING (true);
