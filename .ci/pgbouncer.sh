#!/usr/bin/env bash
# Starts Debian's PgBouncer in transaction mode on 127.0.0.1:6432 in front of the local PostgreSQL
# (every database, trust auth as on the project's machines), installing it if needed. Idempotent.
set -euo pipefail
PORT="${PGBOUNCER_PORT:-6432}"
if pg_isready -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
  exit 0
fi
if ! command -v pgbouncer >/dev/null; then
  apt-get install -y pgbouncer >/dev/null
fi
dir="$(mktemp -d /tmp/multistore-pgbouncer.XXXXXX)"
chown postgres "$dir" 2>/dev/null || true
echo '"postgres" ""' > "$dir/userlist.txt"
cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
chown -R postgres "$dir" 2>/dev/null || true
# PgBouncer refuses to run as root.
if [ "$(id -u)" = 0 ]; then
  su postgres -s /bin/sh -c "pgbouncer -d '$dir/pgbouncer.ini'"
else
  pgbouncer -d "$dir/pgbouncer.ini"
fi
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p "$PORT" -q && exit 0
  sleep 0.2
done
echo "PgBouncer did not start; see $dir/pgbouncer.log" >&2
exit 1
