DROP TABLE idempotency_keys;
DROP TABLE refresh_tokens;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE products;
DROP TABLE users;
DROP TABLE vendors;
