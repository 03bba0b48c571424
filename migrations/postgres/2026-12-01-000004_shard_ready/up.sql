-- Every tenant table's primary key and unique constraints begin with vendor_id, and every foreign key
-- between tenant tables includes it: what a distributed PostgreSQL (Citus, every tenant table
-- distributed by vendor_id and co-located) requires, so that a store's rows, queries and transactions
-- stay on one node. `vendors` is the one reference table. The composite unique keys that the foreign
-- keys used become the primary keys, so the foreign keys are moved onto them; the data stays.

-- The foreign keys that lean on the (vendor_id, id) unique keys, dropped and made again below.
ALTER TABLE orders DROP CONSTRAINT orders_customer_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_assigned_staff_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_order_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_product_fkey;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_user_fkey;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_customer_fkey;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_order_fkey;

ALTER TABLE users DROP CONSTRAINT users_pkey, DROP CONSTRAINT users_vendor_id_id_key,
    ADD CONSTRAINT users_pkey PRIMARY KEY (vendor_id, id);
ALTER TABLE products DROP CONSTRAINT products_pkey, DROP CONSTRAINT products_vendor_id_id_key,
    ADD CONSTRAINT products_pkey PRIMARY KEY (vendor_id, id);
ALTER TABLE orders DROP CONSTRAINT orders_pkey, DROP CONSTRAINT orders_vendor_id_id_key,
    ADD CONSTRAINT orders_pkey PRIMARY KEY (vendor_id, id);
ALTER TABLE order_items DROP CONSTRAINT order_items_pkey,
    ADD CONSTRAINT order_items_pkey PRIMARY KEY (vendor_id, id);
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_pkey,
    DROP CONSTRAINT refresh_tokens_token_hash_key,
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (vendor_id, id),
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (vendor_id, token_hash);

ALTER TABLE orders
    ADD CONSTRAINT orders_customer_fkey FOREIGN KEY (vendor_id, customer_id) REFERENCES users (vendor_id, id),
    ADD CONSTRAINT orders_assigned_staff_fkey FOREIGN KEY (vendor_id, assigned_staff_id) REFERENCES users (vendor_id, id);
ALTER TABLE order_items
    ADD CONSTRAINT order_items_order_fkey FOREIGN KEY (vendor_id, order_id) REFERENCES orders (vendor_id, id),
    ADD CONSTRAINT order_items_product_fkey FOREIGN KEY (vendor_id, product_id) REFERENCES products (vendor_id, id);
ALTER TABLE refresh_tokens
    ADD CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (vendor_id, user_id) REFERENCES users (vendor_id, id);
ALTER TABLE idempotency_keys
    ADD CONSTRAINT idempotency_keys_customer_fkey FOREIGN KEY (vendor_id, customer_id) REFERENCES users (vendor_id, id),
    ADD CONSTRAINT idempotency_keys_order_fkey FOREIGN KEY (vendor_id, order_id) REFERENCES orders (vendor_id, id);
