-- A new order took a KEY SHARE lock on its store's `vendors` row four times (the order, each line, its
-- event): one row that every order of the store locks at once, which PostgreSQL records as a
-- multixact of every transaction holding it, rebuilt at each new locker. These keys say nothing that
-- the tables' other keys do not: the order's customer is a user of the same store
-- (`orders_customer_fkey` on (vendor_id, customer_id)), a line and an event belong to an order of the
-- same store (on (vendor_id, order_id)), a key to a customer of it, and every user belongs to a store
-- (`users_vendor_id_fkey`). With them gone an order locks no row of `vendors`; the store is still a
-- store's.
ALTER TABLE orders DROP CONSTRAINT orders_vendor_id_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_vendor_id_fkey;
ALTER TABLE order_events DROP CONSTRAINT order_events_vendor_id_fkey;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_vendor_id_fkey;
