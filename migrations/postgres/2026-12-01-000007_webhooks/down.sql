DROP POLICY worker_prunes ON order_events;
REVOKE DELETE ON order_events FROM multistore_worker;
DROP TABLE webhook_fanout;
DROP INDEX order_events_age;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
