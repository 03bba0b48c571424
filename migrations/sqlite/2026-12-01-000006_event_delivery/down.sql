DROP INDEX order_events_store_log;
DROP INDEX order_events_log;
ALTER TABLE order_events DROP COLUMN position;
