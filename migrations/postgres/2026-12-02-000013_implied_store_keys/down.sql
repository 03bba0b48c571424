ALTER TABLE orders ADD CONSTRAINT orders_vendor_id_fkey FOREIGN KEY (vendor_id) REFERENCES vendors (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_vendor_id_fkey FOREIGN KEY (vendor_id) REFERENCES vendors (id);
ALTER TABLE order_events ADD CONSTRAINT order_events_vendor_id_fkey FOREIGN KEY (vendor_id) REFERENCES vendors (id);
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_vendor_id_fkey FOREIGN KEY (vendor_id) REFERENCES vendors (id);
