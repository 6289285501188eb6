#!/usr/bin/env bash
# API fuzzing from the OpenAPI spec: schemathesis (PyPI, in a venv under the tools dir)
# against the real server, once with a token of each of two brands. Fails on any 5xx
# (`not_a_server_error`). Usage: tests/security/schemathesis.sh [TOOLS_DIR]
# Env: SCHEMATHESIS_EXAMPLES (default 25 per operation), SCHEMATHESIS_CHECKS
# (default not_a_server_error; `all` also checks every response against the spec).
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS=${1:-${AUTONOMO_TOOLS_DIR:-$PWD/.tools}}
mkdir -p "$TOOLS"
ST="$TOOLS/schemathesis/bin/st"
if ! [ -x "$ST" ] || ! "$ST" --version >/dev/null 2>&1; then
  rm -rf "$TOOLS/schemathesis"
  python3 -m venv "$TOOLS/schemathesis"
  "$TOOLS/schemathesis/bin/pip" install -q --disable-pip-version-check 'schemathesis>=4,<5'
fi

cargo build --quiet --bin autonomo
BIN=$PWD/target/debug/autonomo
DATA=$(mktemp -d)
PORT=${SCHEMATHESIS_PORT:-18731}
cleanup() { [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT

for slug in uno dos; do
  "$BIN" --data-dir "$DATA" tenant create "$slug" --name "Marca $slug" --country PE \
    --timezone America/Lima --currency PEN >/dev/null
done
TOKEN_UNO=$("$BIN" --data-dir "$DATA" token create --tenant uno --scope admin | grep -o 'atk_[A-Za-z0-9_-]*')
TOKEN_DOS=$("$BIN" --data-dir "$DATA" token create --tenant dos --scope write | grep -o 'atk_[A-Za-z0-9_-]*')

RUST_LOG=warn "$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" \
  >"$DATA/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

status=0
for token in "$TOKEN_UNO" "$TOKEN_DOS"; do
  "$ST" run "http://127.0.0.1:$PORT/api/openapi.json" \
    --url "http://127.0.0.1:$PORT" \
    -H "Authorization: Bearer $token" \
    --checks "${SCHEMATHESIS_CHECKS:-not_a_server_error}" \
    -n "${SCHEMATHESIS_EXAMPLES:-25}" \
    --request-timeout 10 --no-color || status=1
done
if grep -q "panicked" "$DATA/server.log"; then
  echo "the server panicked:"; grep -A5 panicked "$DATA/server.log"; status=1
fi
exit $status
