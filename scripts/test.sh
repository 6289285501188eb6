#!/usr/bin/env bash
# Runs every test: unit tests and the integration tests that drive the real binary.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --all-targets
