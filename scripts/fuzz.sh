#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets) for AUTONOMO_FUZZ_SECONDS each (default
# 60; longer on demand) and fails on the first crash. cargo-fuzz is installed from
# crates.io into ./.tools/cargo-fuzz on first use. libFuzzer's instrumentation needs
# nightly `-Z` flags; the machine has one stable toolchain, so RUSTC_BOOTSTRAP=1 lets it
# accept them. No sanitizer: the crate forbids `unsafe`, so the fuzzers look for panics
# (which are bugs here: no panics on input), hangs and runaway memory.
# Seeds: the WhatsApp fixtures for `webhook`, a few real-looking lines for the others.
#
# `scripts/fuzz.sh --build-only` installs cargo-fuzz and builds the targets without running
# them: .ci/run starts it at the lowest priority beside the test suite, whose waits on
# servers, fsyncs and browsers leave the second core idle much of the time. Targets then run
# two at a time (one per core), each for the full time.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${AUTONOMO_FUZZ_SECONDS:-60}
TOOLS=${AUTONOMO_TOOLS_DIR:-$PWD/.tools}
FUZZ_BIN="$TOOLS/cargo-fuzz/bin/cargo-fuzz"
if ! [ -x "$FUZZ_BIN" ]; then
  echo "== installing cargo-fuzz into $TOOLS/cargo-fuzz"
  cargo install --quiet --locked --root "$TOOLS/cargo-fuzz" cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
if [ "${1:-}" = "--build-only" ]; then
  "$FUZZ_BIN" fuzz build --dev --sanitizer none
  echo "== fuzz targets built"
  exit 0
fi

corpus=fuzz/corpus
mkdir -p "$corpus"/{webhook,order_text,phone,csv_import}
if [ -d ../shared/fixtures/whatsapp ]; then
  find ../shared/fixtures/whatsapp -name '*.json' -exec cp -n {} "$corpus/webhook/" \;
fi
printf '2 pollos broaster y una inca kola' > "$corpus/order_text/seed1"
printf 'quiero 1/4 de pollo con papas, sin ensalada\n' > "$corpus/order_text/seed2"
printf '987 654 321' > "$corpus/phone/pe"
printf '+52 1 55 1234 5678' > "$corpus/phone/mx"
printf '011 15-4321-8765' > "$corpus/phone/ar"
printf 'nombre;telefono;email;etiquetas\nAna Pérez;987654321;ana@x.pe;vip,delivery\n' > "$corpus/csv_import/semicolon"
printf 'Nombre,Teléfono,Consentimiento\n"Luis, el del 5",+51 912 345 678,sí\n' > "$corpus/csv_import/quoted"

targets=$(sed -n 's/^name = "\(.*\)"/\1/p' fuzz/Cargo.toml | grep -v '^autonomo-fuzz$')
echo "== fuzzing ${SECONDS_EACH}s each: $(echo $targets)"
mkdir -p fuzz/logs
"$FUZZ_BIN" fuzz build --dev --sanitizer none

run_target() {
  local t=$1
  "$FUZZ_BIN" fuzz run --dev --sanitizer none "$t" "$corpus/$t" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=1024 -print_final_stats=1 >"fuzz/logs/$t.log" 2>&1
}

# Two at a time: as many fuzzers as cores, so each gets its full time of one core.
set -- $targets
failed=0
while [ $# -gt 0 ]; do
  pids=()
  names=()
  for t in "${1}" "${2:-}"; do
    [ -n "$t" ] || continue
    run_target "$t" &
    pids+=($!)
    names+=("$t")
  done
  shift $(( $# >= 2 ? 2 : 1 ))
  for i in "${!pids[@]}"; do
    t=${names[$i]}
    status=0
    wait "${pids[$i]}" || status=$?
    echo "-- $t"
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done )' "fuzz/logs/$t.log" || true
    if [ "$status" -ne 0 ]; then
      tail -40 "fuzz/logs/$t.log" >&2
      echo "fuzz target $t FAILED (exit $status); reproducer under fuzz/artifacts/$t/" >&2
      failed=1
    fi
  done
done
[ "$failed" -eq 0 ] || exit 1
echo "== fuzzing: no crash"
