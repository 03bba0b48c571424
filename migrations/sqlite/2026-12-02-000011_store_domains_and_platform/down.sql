DROP TABLE store_suspensions;
DROP TABLE platform_admins;
ALTER TABLE vendors DROP COLUMN suspended_at;
DROP TABLE store_domains;
