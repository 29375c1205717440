#!/usr/bin/env bash
# Installs what the `local-model` feature of ferromcp-llm needs to build llama.cpp from source
# (through the llama-cpp-2 crate): cmake, a C/C++ compiler (clang) and libclang for bindgen.
# Debian/Ubuntu only; installs with apt-get only what is missing, quietly and without prompts.
set -euo pipefail

PACKAGES=(cmake clang libclang-dev)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup-llama-deps.sh: ${PACKAGES[*]} already installed" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-llama-deps.sh: missing ${missing[*]} and apt-get is not available; install them with your package manager" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo -n)
fi

echo "setup-llama-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# apt and dpkg talk a lot even with -qq; keep their output for a failure only.
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
if ! { "${SUDO[@]}" apt-get update -qq && \
       "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "setup-llama-deps.sh: could not install ${missing[*]}" >&2
    exit 1
fi
