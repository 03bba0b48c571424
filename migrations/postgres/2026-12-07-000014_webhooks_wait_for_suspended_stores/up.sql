-- A suspended store's webhook deliveries wait, neither sent nor lost, until it is reactivated: the
-- delivery worker reads which stores are suspended (only that, of the stores).
GRANT SELECT (id, suspended_at) ON vendors TO multistore_worker;
CREATE POLICY worker_reads_suspensions ON vendors FOR SELECT TO multistore_worker USING (true);
