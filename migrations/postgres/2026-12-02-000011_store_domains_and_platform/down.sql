DROP POLICY platform_suspends ON vendors;
DROP TABLE store_suspensions;
DROP TABLE platform_admins;
REVOKE ALL ON vendors, store_domains FROM multistore_platform;
REVOKE EXECUTE ON FUNCTION app_vendor_id() FROM multistore_platform;
REVOKE USAGE ON SCHEMA public FROM multistore_platform;
ALTER TABLE vendors DROP COLUMN suspended_at;
DROP TABLE store_domains;
