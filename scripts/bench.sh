#!/usr/bin/env bash
# The performance bench: ferromcp against rmcp (the official Rust SDK) and a bare hyper
# server (the ceiling), all in the same run, interleaved. Builds the bench workspace
# (bench/, not part of the main workspace) in release and runs its load client.
#
#   scripts/bench.sh                 # the full suite (about 5 minutes on 2 cores)
#   scripts/bench.sh --quick         # one short round of everything, for iteration
#   scripts/bench.sh --long          # adds the 1,000,000-call memory run
#   scripts/bench.sh --markdown bench/RESULTS-table.md   # also writes the table
#
# Any other argument goes to bench-load (see `--help`): --rounds N, --secs S,
# --servers ferromcp,rmcp,ceiling, --sections http,stateless,echo,sessions,stdio,cold.
# The build goes to $CARGO_TARGET_DIR if set, else bench/target.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/bench/target}"
cargo build --release --quiet --manifest-path "$root/bench/Cargo.toml" --target-dir "$target"
exec "$target/release/bench-load" "$@"
