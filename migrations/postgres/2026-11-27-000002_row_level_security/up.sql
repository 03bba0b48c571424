-- Row-level security: the database's own tenant isolation, a backstop for application code that forgets
-- a vendor filter. The service's pooled connections SET ROLE multistore_app, a role that owns nothing and
-- cannot bypass RLS; each checkout sets app.vendor_id to the request's tenant (or to '' for none).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'multistore_app') THEN
        CREATE ROLE multistore_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;
-- The user that migrates may also serve (SET ROLE needs membership); a dedicated login role can be
-- granted multistore_app instead (see README).
GRANT multistore_app TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO multistore_app;
GRANT SELECT, INSERT, UPDATE ON vendors, users, products, orders, order_items, refresh_tokens, idempotency_keys
    TO multistore_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO multistore_app;

-- The tenant of the current transaction or session; NULL (no rows) when unset or reset to ''.
CREATE FUNCTION app_vendor_id() RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.vendor_id', true), '')::bigint $$;
GRANT EXECUTE ON FUNCTION app_vendor_id() TO multistore_app;

ALTER TABLE vendors ENABLE ROW LEVEL SECURITY;
ALTER TABLE vendors FORCE ROW LEVEL SECURITY;
-- Stores are found by domain before the tenant is known, and opened by anyone; only the tenant changes its own.
CREATE POLICY vendors_read ON vendors FOR SELECT USING (true);
CREATE POLICY vendors_open ON vendors FOR INSERT WITH CHECK (true);
CREATE POLICY vendors_change ON vendors FOR UPDATE USING (id = app_vendor_id()) WITH CHECK (id = app_vendor_id());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (vendor_id = app_vendor_id()) WITH CHECK (vendor_id = app_vendor_id());

ALTER TABLE products ENABLE ROW LEVEL SECURITY;
ALTER TABLE products FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON products
    USING (vendor_id = app_vendor_id()) WITH CHECK (vendor_id = app_vendor_id());

ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON orders
    USING (vendor_id = app_vendor_id()) WITH CHECK (vendor_id = app_vendor_id());

ALTER TABLE order_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON order_items
    USING (vendor_id = app_vendor_id()) WITH CHECK (vendor_id = app_vendor_id());

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
    USING (vendor_id = app_vendor_id()) WITH CHECK (vendor_id = app_vendor_id());

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
    USING (vendor_id = app_vendor_id()) WITH CHECK (vendor_id = app_vendor_id());
