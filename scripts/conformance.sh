#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/conformance, version
# pinned in scripts/setup-node.sh) against ferromcp's conformance-server and
# conformance-client: for each revision, the suite's own `--requirements` set for the server
# role and for the client role, exactly as the suite defines them (the client set includes
# every auth/* scenario). Scenarios the set runs without scoring (extensions, later
# additions) are reported one by one; of those, the authorization extensions ferromcp
# implements (client credentials with a secret or private_key_jwt, workload identity
# federation's JWT bearer grant, enterprise-managed authorization, DPoP) are required by this
# project too. Fails unless every scored scenario and those pass.
#
# Usage: scripts/conformance.sh [2025-11-25] [2026-07-28]   (default: both)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

revisions=("$@")
[ ${#revisions[@]} -gt 0 ] || revisions=(2025-11-25 2026-07-28)
# Not scored by the suite, required by ferromcp.
required_extensions=(auth/client-credentials-jwt auth/client-credentials-basic
    auth/enterprise-managed-authorization auth/wif-jwt-bearer auth/dpop auth/dpop-nonce)

PATH="$(scripts/setup-node.sh | tail -n 1):$PATH"
export PATH
cargo build --locked --quiet -p ferromcp-conformance --bins
bin="$PWD/target/debug"
out="$PWD/target/conformance"
rm -rf "$out"
mkdir -p "$out"

strip_ansi() { sed -e 's/\x1b\[[0-9;]*m//g'; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/conformance-server" --port "$port" 2>"$out/server.log" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

failed=0
# Prints what one `--requirements` run scored and what it ran unscored; fails the run
# when the suite did or a required extension scenario did not pass.
report() {
    local role=$1 revision=$2 log=$3 suite_status=$4
    local summary unscored scored_total scored_passed name mark
    summary=$(strip_ansi <"$log" | sed -En '/=== (SUITE )?SUMMARY ===/,/^Total:/p' | grep -E '^[✓✗] ' || true)
    unscored=$(strip_ansi <"$log" | sed -n '/^Not scored for/,$p' | grep -E '^  [✓✗] ' |
        sed -E 's/^  [✓✗] ([^ ]+).*/\1/' || true)
    scored_total=0
    scored_passed=0
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        mark=${line%% *}
        name=$(sed -E 's/^[✓✗] ([^:]+):.*/\1/' <<<"$line")
        grep -qxF "$name" <<<"$unscored" && continue
        scored_total=$((scored_total + 1))
        # A scenario whose checks did not run has not passed, whatever its mark.
        [ "$mark" = "✓" ] && ! grep -q ': 0 passed, 0 failed' <<<"$line" &&
            scored_passed=$((scored_passed + 1))
    done <<<"$summary"
    echo "$role $revision --requirements: $scored_passed/$scored_total scored scenarios passed (suite: $suite_status)"
    [ "$suite_status" = passed ] && [ "$scored_total" -gt 0 ] && [ "$scored_passed" -eq "$scored_total" ] || failed=1
    while IFS= read -r name; do
        [ -n "$name" ] || continue
        line=$(grep -E "^[✓✗] $name:" <<<"$summary" || true)
        mark=${line%% *}
        grep -q ': 0 passed, 0 failed' <<<"$line" && mark="no checks ran"
        verdict=$([ "$mark" = "✓" ] && echo passed || echo "not passed")
        required=""
        for extension in "${required_extensions[@]}"; do
            if [ "$name" = "$extension" ]; then
                required=" (required by ferromcp)"
                [ "$mark" = "✓" ] || failed=1
            fi
        done
        echo "  not scored: $name: $verdict — ${line#*: }$required"
    done <<<"$unscored"
}

for revision in "${revisions[@]}"; do
    echo "== conformance server --requirements $revision"
    log="$out/server-$revision.txt"
    status=passed
    conformance server --url "http://127.0.0.1:$port/mcp" --requirements "$revision" \
        -o "$out/server-$revision" >"$log" 2>&1 || status=FAILED
    report server "$revision" "$log" "$status"
    [ "$status" = passed ] || strip_ansi <"$log" | grep -E '^[✗]' || true

    echo "== conformance client --requirements $revision"
    log="$out/client-$revision.txt"
    status=passed
    conformance client --command "$bin/conformance-client" --requirements "$revision" \
        -o "$out/client-$revision" >"$log" 2>&1 || status=FAILED
    report client "$revision" "$log" "$status"
done

if [ "$failed" -ne 0 ]; then
    echo "conformance: FAILED (logs in $out)"
    exit 1
fi
echo "conformance: every scenario of the suite's requirement sets passed, and the authorization extensions ferromcp implements"
