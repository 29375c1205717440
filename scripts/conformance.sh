#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/conformance, version
# pinned in scripts/setup-node.sh) against ferromcp's conformance-server and
# conformance-client. Fails unless every scored scenario passes.
#
# Usage: scripts/conformance.sh [2025-11-25] [2026-07-28]   (default: every revision listed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

revisions=("$@")
[ ${#revisions[@]} -gt 0 ] || revisions=(2025-11-25 2026-07-28)

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
for revision in "${revisions[@]}"; do
    echo "== conformance server --requirements $revision"
    if conformance server --url "http://127.0.0.1:$port/mcp" --requirements "$revision" \
        -o "$out/server-$revision" >"$out/server-$revision.txt" 2>&1; then
        status=passed
    else
        status=FAILED
        failed=1
    fi
    strip_ansi <"$out/server-$revision.txt" | sed -n '/=== SUMMARY ===/,$p'
    echo "server $revision: $status"

    case "$revision" in
        2025-11-25) scenarios=(initialize tools_call elicitation-sep1034-client-defaults sse-retry) ;;
        2026-07-28) scenarios=(tools_call request-metadata sep-2322-client-request-state
                               http-standard-headers http-custom-headers
                               http-invalid-tool-headers json-schema-ref-no-deref) ;;
        *) scenarios=() ;;
    esac
    for scenario in "${scenarios[@]}"; do
        log="$out/client-$revision-$scenario.txt"
        if conformance client --command "$bin/conformance-client" --scenario "$scenario" \
            --spec-version "$revision" -o "$out/client-$revision" >"$log" 2>&1; then
            status=passed
        else
            status=FAILED
            failed=1
        fi
        summary=$(strip_ansi <"$log" | grep -E '^Passed:' | tail -n 1)
        echo "client $revision $scenario: $status ($summary)"
        [ "$status" = passed ] || strip_ansi <"$log" | tail -n 30
    done
done

if [ "$failed" -ne 0 ]; then
    echo "conformance: FAILED (logs in $out)"
    exit 1
fi
echo "conformance: every scored scenario passed"
