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

# A file's size in MiB (awk: bc is not on every machine).
mib() {
    stat -c %s "$1" | awk '{printf "%.1f", $1 / 1048576}'
}

measure() {
    local label=$1
    shift
    local crates
    crates=$(cargo tree -q --locked -p ferromcp "$@" -e normal --prefix none |
        sed 's/ (\*)//; s/ (proc-macro)//' | awk '{print $1}' | sort -u | wc -l)
    # Wall time needs an idle machine; CPU time (user + system, all processes) hardly
    # depends on what else runs.
    local times wall cpu
    times=$( { TIMEFORMAT='%R %U %S'; time CARGO_TARGET_DIR="$out/$label" cargo build -q \
        --locked --release -p ferromcp --example stdio_tool "$@"; } 2>&1 | tail -1)
    wall=$(echo "$times" | awk '{print $1}')
    cpu=$(echo "$times" | awk '{print $2 + $3}')
    local bin="$out/$label/release/examples/stdio_tool"
    strip -o "$out/$label.stripped" "$bin"
    printf '%-18s crates %4d   cold release build %6.1f s wall, %6.1f s CPU   binary %5.1f MiB (stripped %4.1f MiB)\n' \
        "$label" "$crates" "$wall" "$cpu" \
        "$(mib "$bin")" "$(mib "$out/$label.stripped")"
}

measure default-features
measure server,macros --no-default-features --features server,macros
rm -rf "$out"
