#!/usr/bin/env bash
# Fuzzes POST /graphql from schema.graphql with schemathesis, once per role (anonymous, customer, staff,
# owner) of one store and as the platform admin (last: it may suspend a store), next to a second store
# whose data must never show; on SQLite, then on PostgreSQL. Fails on any 5xx answer, any
# error without a client code of the contract, or any answer holding the other store's data (the
# admin's directory of stores aside: listing every store is the admin's; see `directory` below).
#   bash fuzz/run.sh              # FUZZ_EXAMPLES=25 cases per operation and role by default
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=${FUZZ_EXAMPLES:-25}
VENV=${FUZZ_VENV:-target/fuzz-venv}
PORT=${FUZZ_PORT:-18321}
MARKER=xqzforeignxqz

if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
cargo build --quiet

WORK=$(mktemp -d)
SERVER=
trap 'if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi; rm -rf "$WORK"' EXIT
SECRET=fuzz-secret-fuzz-secret-fuzz-secret-fuzz
PG_ADMIN=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
status=0

# One run of every role against a server on the database DATABASE_URL names ($1, labelled $2): the two
# databases refuse different things (PostgreSQL a NUL that SQLite stores, a time before 4713 BC), so
# both are fuzzed.
fuzz_on() {
  local database=$1 label=$2
  DATABASE_URL="$database" MULTISTORE_JWT_SECRET=$SECRET \
    MULTISTORE_BIND="127.0.0.1:$PORT" MULTISTORE_BCRYPT_COST=4 MULTISTORE_LOG=warn \
    target/debug/multistore > "$WORK/server-$label.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/readyz" > /dev/null && break
    sleep 0.2
  done

  local url="http://127.0.0.1:$PORT/graphql"
  local tokens
  tokens=$(python3 fuzz/seed.py "$url" "$MARKER")
  token() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$tokens" "$1"; }
  # The platform admin, made as an operator would, signed in with adminLogin.
  printf 'fuzz-admin-password\n' | DATABASE_URL="$database" MULTISTORE_JWT_SECRET=$SECRET \
    MULTISTORE_BCRYPT_COST=4 MULTISTORE_LOG=warn target/debug/multistore create-admin fuzzop > /dev/null
  local admin_token
  admin_token=$(curl -fs "$url" -H 'Content-Type: application/json' \
    -d '{"query":"mutation { adminLogin(input: {username: \"fuzzop\", password: \"fuzz-admin-password\"}) { accessToken } }"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["adminLogin"]["accessToken"])')

  for role in anonymous customer staff owner admin; do
    local headers=(-H "X-Tenant-Domain: home.fuzz.example")
    local directory=""
    if [ "$role" = admin ]; then
      headers+=(-H "Authorization: Bearer $admin_token")
      # The platform's directory of stores is the admin's to see, the other store's entry included.
      directory="stores,suspendStore,reactivateStore"
    elif [ "$role" != anonymous ]; then
      headers+=(-H "Authorization: Bearer $(token "$role")")
    fi
    echo "== fuzzing as $role on $label"
    SCHEMATHESIS_HOOKS=fuzz.hooks FUZZ_FOREIGN_MARKER="$MARKER" FUZZ_DIRECTORY_FIELDS="$directory" PYTHONPATH=. \
      "$VENV/bin/schemathesis" run schema.graphql --url "$url" "${headers[@]}" \
        --checks no_server_error,no_foreign_data,graphql_errors_have_codes \
        --max-examples "$EXAMPLES" --seed 42 --workers 2 --phases examples,fuzzing \
        --no-color || status=1
  done
  kill $SERVER 2>/dev/null
  wait $SERVER 2>/dev/null || true
  SERVER=
  if grep -qiE "panicked|internal error" "$WORK/server-$label.log"; then
    echo "the server logged internal errors on $label:"
    grep -iE "panicked|internal error" "$WORK/server-$label.log" | head -20
    status=1
  fi
}

fuzz_on "$WORK/fuzz.db" sqlite
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS mst_fuzz" -c "CREATE DATABASE mst_fuzz" > /dev/null
fuzz_on "${PG_ADMIN%/*}/mst_fuzz" postgres
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS mst_fuzz" > /dev/null
exit $status
