-- PostgreSQL's search index under row-level security; SQLite has no row-level security, and its FTS5
-- table (migration 9) serves searches as it is. This version exists so both backends share their versions.
SELECT 1;
