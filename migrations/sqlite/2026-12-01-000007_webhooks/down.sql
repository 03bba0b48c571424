DROP TABLE webhook_fanout;
DROP INDEX order_events_age;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP INDEX order_events_tenant;
