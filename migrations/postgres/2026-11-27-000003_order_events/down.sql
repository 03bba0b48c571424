DROP TRIGGER orders_announce_change ON orders;
DROP FUNCTION announce_order_change();
