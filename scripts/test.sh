#!/usr/bin/env bash
# Runs every test of ferromcp on a fresh machine: installs what the tests need (the official
# Python MCP SDK into .cache/pyvenv; Node.js 22, the official TypeScript SDK and the official
# conformance suite into .cache), checks formatting and lints, runs the test suite, then runs
# the conformance suite against our conformance server and client.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== setting up the peers: Python SDK, Node.js 22, TypeScript SDK, conformance suite"
FERROMCP_PYTHON="$(scripts/setup-python.sh | tail -n 1)"
NODE_BIN_DIR="$(scripts/setup-node.sh | tail -n 1)"
export FERROMCP_PYTHON
export FERROMCP_NODE="$NODE_BIN_DIR/node"
export FERROMCP_TS_SDK_DIR="$PWD/.cache/ts-sdk/node_modules"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked

echo "== conformance suite"
scripts/conformance.sh 2025-11-25 2026-07-28
