#!/usr/bin/env bash
# Runs every test of ferromcp on a fresh machine: installs what the tests need (the official
# Python MCP SDK into .cache/pyvenv), checks formatting and lints, then runs the test suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== setting up the Python peer (PyPI mcp)"
FERROMCP_PYTHON="$(scripts/setup-python.sh | tail -n 1)"
export FERROMCP_PYTHON

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked
