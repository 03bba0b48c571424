DROP POLICY worker_reads ON orders;
DROP POLICY worker_reads ON order_events;
REVOKE ALL ON order_events, orders FROM multistore_worker;
REVOKE EXECUTE ON FUNCTION app_vendor_id() FROM multistore_worker;
REVOKE USAGE ON SCHEMA public FROM multistore_worker;
DROP INDEX order_events_store_log;
DROP INDEX order_events_log;
ALTER TABLE order_events DROP COLUMN position;

CREATE FUNCTION announce_order_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('multistore_orders', json_build_object(
        'kind', CASE TG_OP WHEN 'INSERT' THEN 'Placed' ELSE 'Updated' END,
        'order', row_to_json(NEW))::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_announce_change
    AFTER INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION announce_order_change();
