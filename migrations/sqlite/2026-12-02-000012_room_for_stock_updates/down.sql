-- PostgreSQL only: a storage parameter with no SQLite counterpart. The version exists on both
-- backends so that their migration histories stay the same.
SELECT 1;
