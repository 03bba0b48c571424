-- The shard-ready keys of PostgreSQL (primary and unique keys beginning with vendor_id) have no use on
-- SQLite, one node by nature: its tables keep their rowid keys, which every query already reaches
-- through (vendor_id, ...) indexes. This version exists so both backends share their versions.
SELECT 1;
