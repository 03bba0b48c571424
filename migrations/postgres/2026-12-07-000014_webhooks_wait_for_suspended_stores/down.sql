DROP POLICY worker_reads_suspensions ON vendors;
REVOKE SELECT (id, suspended_at) ON vendors FROM multistore_worker;
