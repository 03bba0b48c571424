#!/usr/bin/env bash
# Runs the Node client test (@urql/core over HTTP, graphql-ws over WebSocket) against the real server,
# once on SQLite and once on PostgreSQL (TEST_DATABASE_URL names the server to make a database on), and
# the GraphQL-over-HTTP audit of graphql-http (clients/node/audit.mjs) and GraphiQL in Debian's chromium
# (clients/node/graphiql.browser.mjs, installed with apt-get when missing) on SQLite.
#   bash clients/node/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

ADMIN_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
NODE_DB=mst_node_client
(cd clients/node && npm ci --no-audit --no-fund --loglevel=error)
if ! command -v chromium > /dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium > /dev/null
fi
# Typed client: GraphQL Code Generator from schema.graphql (the committed output must be current), then
# tsc --strict over the storefront that uses it.
(cd clients/node && npm run --silent codegen > /dev/null && npm run --silent typecheck)
git diff --exit-code -- clients/node/typed/gql || {
  echo "clients/node/typed/gql is stale: run (cd clients/node && npm run codegen) and commit it"
  exit 1
}
cargo build --quiet --bin multistore

WORK=$(mktemp -d)
SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for backend in sqlite postgres; do
  if [ "$backend" = sqlite ]; then
    database_url="$WORK/node.db"
  else
    psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $NODE_DB WITH (FORCE)" -c "CREATE DATABASE $NODE_DB"
    database_url="${ADMIN_URL%/*}/$NODE_DB"
  fi
  port=$(free_port)
  DATABASE_URL="$database_url" MULTISTORE_JWT_SECRET=node-secret-node-secret-node-secret-node \
    MULTISTORE_BIND="127.0.0.1:$port" MULTISTORE_BCRYPT_COST=4 MULTISTORE_LOG=warn \
    target/debug/multistore > "$WORK/server-$backend.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" > /dev/null && break
    sleep 0.1
  done
  echo "== Node clients against the server on $backend"
  if ! (cd clients/node && MULTISTORE_URL="http://127.0.0.1:$port" npm test --silent); then
    echo "server log:"; tail -50 "$WORK/server-$backend.log"
    exit 1
  fi
  if [ "$backend" = sqlite ]; then
    echo "== GraphQL over HTTP audit (graphql-http)"
    MULTISTORE_URL="http://127.0.0.1:$port" node clients/node/audit.mjs | grep -v '^ok '
    echo "== GraphiQL in chromium, offline (screenshot: target/graphiql.png)"
    (cd clients/node && MULTISTORE_URL="http://127.0.0.1:$port" node --test graphiql.browser.mjs)
  fi
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  SERVER=
  if [ "$backend" = postgres ]; then
    psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $NODE_DB WITH (FORCE)"
  fi
done
