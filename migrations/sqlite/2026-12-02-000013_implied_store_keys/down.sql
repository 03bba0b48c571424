-- PostgreSQL only: there the keys to `vendors` that other keys imply cost a shared row lock on the
-- store's row per order, line and event; SQLite takes no row locks (one writer at a time), and
-- dropping a key would mean rebuilding the tables. The version exists on both backends so that their
-- migration histories stay the same.
SELECT 1;
