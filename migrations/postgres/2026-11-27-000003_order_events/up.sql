-- Order events for subscriptions, on every instance: each change to an order is announced on the
-- multistore_orders channel by the database itself, with the row as written. PostgreSQL delivers a
-- notification when its transaction commits (never for one rolled back, and in commit order) to every
-- session listening, so each instance's listener hears every change, whichever instance made it, and no
-- statement is added to the application's transactions.
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
