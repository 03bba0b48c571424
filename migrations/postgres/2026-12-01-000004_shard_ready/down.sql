ALTER TABLE orders DROP CONSTRAINT orders_customer_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_assigned_staff_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_order_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_product_fkey;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_user_fkey;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_customer_fkey;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_order_fkey;

ALTER TABLE users DROP CONSTRAINT users_pkey, ADD CONSTRAINT users_pkey PRIMARY KEY (id),
    ADD CONSTRAINT users_vendor_id_id_key UNIQUE (vendor_id, id);
ALTER TABLE products DROP CONSTRAINT products_pkey, ADD CONSTRAINT products_pkey PRIMARY KEY (id),
    ADD CONSTRAINT products_vendor_id_id_key UNIQUE (vendor_id, id);
ALTER TABLE orders DROP CONSTRAINT orders_pkey, ADD CONSTRAINT orders_pkey PRIMARY KEY (id),
    ADD CONSTRAINT orders_vendor_id_id_key UNIQUE (vendor_id, id);
ALTER TABLE order_items DROP CONSTRAINT order_items_pkey, ADD CONSTRAINT order_items_pkey PRIMARY KEY (id);
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_pkey,
    DROP CONSTRAINT refresh_tokens_token_hash_key,
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);

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
