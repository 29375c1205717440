#!/usr/bin/env bash
# Builds the cargo-fuzz (libFuzzer) targets in fuzz/ and runs each for SECONDS (default 60),
# starting from the seed corpus committed in fuzz/corpus/<target>/. Exits non-zero when a
# target crashes (panic, failed assertion, sanitizer report, hang or out-of-memory); the
# input that did it is kept in fuzz/artifacts/<target>/ and the command to replay it is
# printed. Ends with a table of executions per target.
#
#   scripts/fuzz.sh          # 60 s per target (what the test command runs)
#   scripts/fuzz.sh 300      # the longer run
#   FUZZ_TARGETS="sse_parser" scripts/fuzz.sh 30
#
# The toolchain is stable: RUSTC_BOOTSTRAP=1 lets it take the nightly-only flags cargo-fuzz
# passes (sanitizer, coverage instrumentation). cargo-fuzz itself is installed from
# crates.io into .cache/cargo-bin when missing. New corpus entries found during a run go to
# target/fuzz/corpus/<target>/ (kept between runs, never committed).
set -euo pipefail

SECONDS_EACH="${1:-60}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CARGO_FUZZ_VERSION="0.13.2"
BIN_ROOT="$ROOT/.cache/cargo-bin"
TARGET_DIR="${FUZZ_TARGET_DIR:-$ROOT/target/fuzz}"
export PATH="$BIN_ROOT/bin:$PATH"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION into $BIN_ROOT"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" --root "$BIN_ROOT"
fi

cd "$ROOT/fuzz"
targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"

echo "== building fuzz targets: $(echo $targets)"
# -a: debug assertions and overflow checks on, so arithmetic overflow is a crash too.
cargo fuzz build -a --target-dir "$TARGET_DIR"

summary=()
failed=0
for target in $targets; do
    work="$TARGET_DIR/corpus/$target"
    log="$TARGET_DIR/logs/$target.log"
    mkdir -p "$work" "$(dirname "$log")" "artifacts/$target"
    echo "== $target: ${SECONDS_EACH}s"
    # The first corpus folder receives new inputs; the committed seeds are only read.
    # -timeout: an input that runs over 10 s is a hang; -rss_limit_mb bounds memory.
    status=0
    cargo fuzz run -a --target-dir "$TARGET_DIR" "$target" "$work" "corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    stat() { grep -m1 "^stat::$1:" "$log" | awk '{print $2}'; }
    runs="$(stat number_of_executed_units)"
    speed="$(stat average_exec_per_sec)"
    rss="$(stat peak_rss_mb)"
    corpus="$(find "$work" -type f | wc -l)"
    cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')"
    if [ "$status" -ne 0 ]; then
        failed=1
        echo "!! $target failed (exit $status); last lines of $log:"
        tail -40 "$log"
        artifact="$(ls -t "artifacts/$target"/* 2>/dev/null | head -1 || true)"
        if [ -n "$artifact" ]; then
            echo "!! replay: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -a --target-dir $TARGET_DIR $target $artifact)"
        fi
        summary+=("$(printf '%-16s FAILED  %12s runs' "$target" "${runs:-?}")")
    else
        summary+=("$(printf '%-16s ok      %12s runs  %8s/s  cov %6s  corpus %6s  rss %5s MB' \
            "$target" "${runs:-?}" "${speed:-?}" "${cov:-?}" "$corpus" "${rss:-?}")")
    fi
done

echo "== fuzz summary (${SECONDS_EACH}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
