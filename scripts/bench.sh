#!/usr/bin/env bash
# The benchmark of issue 11, in one command. Builds the release binary, then runs the load
# generator (benches/load), which starts `autonomo serve` on 127.0.0.1 with a fresh copy of a
# demo data dir, measures every workload and writes docs/benchmarks.md.
#
#   bash scripts/bench.sh                      # scale small: gollos 10k customers / 100k orders
#   bash scripts/bench.sh --scale full         # 100k customers / 1M orders (the fill takes long; cached)
#   bash scripts/bench.sh --peer nocodb        # also NocoDB side by side (installs it once, ≈ 6 min)
#   bash scripts/bench.sh --requests 10000 --concurrency 64 --out -
#   bash scripts/bench.sh --only start --out -   # only the cold starts and idle memory, no report
#   bash scripts/bench.sh --scale full --only webhook,orders --out -   # these workloads, in order
#
# Every option is passed to the load generator: `cargo bench --bench load -- --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " == *" --peer nocodb "* ]] && ! bash scripts/nocodb-peer.sh installed; then
    echo "· installing the NocoDB peer (once)…" >&2
    bash scripts/nocodb-peer.sh install >&2
fi
cargo build --release --bin autonomo
exec cargo bench --bench load -- --bin target/release/autonomo --command "bash scripts/bench.sh $*" "$@"
