#!/usr/bin/env bash
# What the cargo features save: the same stdio tool server (crates/ferromcp/examples/
# stdio_tool.rs) built with the default features and with only `server,macros`. Prints, for
# each, the distinct crates it depends on, a cold release build's wall time (a fresh target
# directory each), and the binary's size as built and stripped. Run on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/feature-sizes
rm -rf "$out"
mkdir -p "$out"

measure() {
    local label=$1
    shift
    local crates
    crates=$(cargo tree -q --locked -p ferromcp "$@" -e normal --prefix none |
        sed 's/ (\*)//; s/ (proc-macro)//' | awk '{print $1}' | sort -u | wc -l)
    local start end
    start=$(date +%s.%N)
    CARGO_TARGET_DIR="$out/$label" cargo build -q --locked --release -p ferromcp \
        --example stdio_tool "$@"
    end=$(date +%s.%N)
    local bin="$out/$label/release/examples/stdio_tool"
    strip -o "$out/$label.stripped" "$bin"
    printf '%-22s crates %4d   cold release build %6.1f s   binary %6.1f MiB (stripped %5.1f MiB)\n' \
        "$label" "$crates" "$(echo "$end - $start" | bc)" \
        "$(echo "scale=1; $(stat -c %s "$bin") / 1048576" | bc)" \
        "$(echo "scale=1; $(stat -c %s "$out/$label.stripped") / 1048576" | bc)"
}

measure default-features
measure server,macros --no-default-features --features server,macros
rm -rf "$out"
