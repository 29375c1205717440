#!/usr/bin/env bash
# Install (or reuse) npm `oidc-provider` (panva's certified OpenID Connect / OAuth 2.1
# authorization server), the real authorization server of ferromcp's authorization tests
# (tests/oidc/provider.mjs configures and starts it).
#
# Layout (under <repo>/.cache, which is git-ignored):
#   .cache/oidc-provider/   npm prefix holding the pinned oidc-provider
#
# Runs npm under the project's Node.js 22 (scripts/setup-node.sh installs it first).
# The last line printed on stdout is the node_modules directory, for FERROMCP_OIDC_DIR:
#     FERROMCP_OIDC_DIR="$(scripts/setup-oidc.sh | tail -n1)"
# Everything else (npm chatter) goes to stderr.
set -euo pipefail

OIDC_PROVIDER_VERSION="9.13.3"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
PREFIX="$REPO/.cache/oidc-provider"
MODULES="$PREFIX/node_modules"
PKG_JSON="$MODULES/oidc-provider/package.json"

log() { echo "setup-oidc.sh: $*" >&2; }

# Node 22 comes from setup-node.sh (its fast path costs nothing when already installed).
NODE_BIN_DIR="$("$SCRIPT_DIR/setup-node.sh" | tail -n 1)"
NODE="$NODE_BIN_DIR/node"

have_provider() {
    [ -f "$PKG_JSON" ] || return 1
    local v
    v="$("$NODE" -e 'process.stdout.write(require(process.argv[1]).version)' "$PKG_JSON" 2>/dev/null)" || return 1
    [ "$v" = "$OIDC_PROVIDER_VERSION" ]
}

# Fast path: already installed -> no npm invocation at all.
if have_provider; then
    echo "$MODULES"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    log "npm is required (any recent version) to install oidc-provider"
    exit 1
fi

log "installing oidc-provider@$OIDC_PROVIDER_VERSION into $PREFIX"
mkdir -p "$PREFIX"
# Node 22 first on PATH so npm and any install scripts run under it.
PATH="$NODE_BIN_DIR:$PATH" \
    npm install --prefix "$PREFIX" --no-audit --no-fund --no-update-notifier --loglevel=error \
    "oidc-provider@$OIDC_PROVIDER_VERSION" >&2
if ! have_provider; then
    log "oidc-provider $OIDC_PROVIDER_VERSION not found under $MODULES"
    exit 1
fi

echo "$MODULES"
