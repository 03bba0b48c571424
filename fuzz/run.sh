#!/usr/bin/env bash
# Fuzzes POST /graphql from schema.graphql with schemathesis, once per role (anonymous, customer, staff,
# owner) of one store and as the platform admin (last: it may suspend a store), next to a second store whose data must never show. Fails on any 5xx answer, any
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
DATABASE_URL="$WORK/fuzz.db" MULTISTORE_JWT_SECRET=fuzz-secret-fuzz-secret-fuzz-secret-fuzz \
  MULTISTORE_BIND="127.0.0.1:$PORT" MULTISTORE_BCRYPT_COST=4 MULTISTORE_LOG=warn \
  target/debug/multistore > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null && break
  sleep 0.2
done

URL="http://127.0.0.1:$PORT/graphql"
TOKENS=$(python3 fuzz/seed.py "$URL" "$MARKER")
token() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$TOKENS" "$1"; }
# The platform admin, made as an operator would, signed in with adminLogin.
printf 'fuzz-admin-password\n' | DATABASE_URL="$WORK/fuzz.db" MULTISTORE_JWT_SECRET=fuzz-secret-fuzz-secret-fuzz-secret-fuzz \
  MULTISTORE_BCRYPT_COST=4 MULTISTORE_LOG=warn target/debug/multistore create-admin fuzzop > /dev/null
ADMIN_TOKEN=$(curl -fs "$URL" -H 'Content-Type: application/json' \
  -d '{"query":"mutation { adminLogin(input: {username: \"fuzzop\", password: \"fuzz-admin-password\"}) { accessToken } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["adminLogin"]["accessToken"])')

status=0
for role in anonymous customer staff owner admin; do
  headers=(-H "X-Tenant-Domain: home.fuzz.example")
  directory=""
  if [ "$role" = admin ]; then
    headers+=(-H "Authorization: Bearer $ADMIN_TOKEN")
    # The platform's directory of stores is the admin's to see, the other store's entry included.
    directory="stores,suspendStore,reactivateStore"
  elif [ "$role" != anonymous ]; then
    headers+=(-H "Authorization: Bearer $(token "$role")")
  fi
  echo "== fuzzing as $role"
  SCHEMATHESIS_HOOKS=fuzz.hooks FUZZ_FOREIGN_MARKER="$MARKER" FUZZ_DIRECTORY_FIELDS="$directory" PYTHONPATH=. \
    "$VENV/bin/schemathesis" run schema.graphql --url "$URL" "${headers[@]}" \
      --checks no_server_error,no_foreign_data,graphql_errors_have_codes \
      --max-examples "$EXAMPLES" --seed 42 --workers 2 --phases examples,fuzzing \
      --no-color || status=1
done
if grep -qiE "panicked|internal error" "$WORK/server.log"; then
  echo "the server logged internal errors:"; grep -iE "panicked|internal error" "$WORK/server.log" | head -20
  status=1
fi
exit $status
