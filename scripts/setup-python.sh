#!/usr/bin/env bash
# Create (or reuse) a Python virtualenv holding the official MCP Python SDK,
# used by the ferromcp <-> Python interop tests.
#
# Venv location: ${FERROMCP_PYVENV:-<repo>/.cache/pyvenv}
# The last line printed on stdout is the path of the venv's python.
set -euo pipefail

MCP_VERSION="2.3.0"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
VENV="${FERROMCP_PYVENV:-$REPO/.cache/pyvenv}"
PY="$VENV/bin/python"

has_mcp() {
    [ -x "$PY" ] && "$PY" - "$MCP_VERSION" >/dev/null 2>&1 <<'PYEOF'
import sys
from importlib.metadata import version
import mcp  # noqa: F401  (must be importable, not just installed)
sys.exit(0 if version("mcp") == sys.argv[1] else 1)
PYEOF
}

if ! has_mcp; then
    if [ ! -x "$PY" ]; then
        mkdir -p "$(dirname "$VENV")"
        python3 -m venv "$VENV" >&2
    fi
    "$PY" -m pip install --quiet --disable-pip-version-check "mcp==$MCP_VERSION" >&2
    if ! has_mcp; then
        echo "setup-python.sh: mcp==$MCP_VERSION is still not importable in $VENV" >&2
        exit 1
    fi
fi

echo "$PY"
