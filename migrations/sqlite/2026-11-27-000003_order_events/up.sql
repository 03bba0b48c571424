-- PostgreSQL announces order changes with a trigger; SQLite serves one instance, whose events stay in
-- the process (src/events). Kept so both backends have the same migration versions.
SELECT 1;
