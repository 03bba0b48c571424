-- PostgreSQL only: there the delivery worker's role is granted what it reads of the stores. The
-- version exists on both backends so that their migration histories stay the same.
SELECT 1;
