#!/usr/bin/env bash
# Quick start, command 2: set up exactly as ./serve.sh does (plus headless Chromium) and run
# the whole test suite against throwaway PostGIS clusters, on up to 4 cores (pytest-xdist: each
# worker starts its own cluster; a test file stays on one worker). Extra arguments go to pytest
# after ours (`-n 0` runs in one process).
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
setup test
cd "$ROOT"
workers="$(nproc)"
[ "$workers" -le 4 ] || workers=4
exec "$VENV/bin/python" -m pytest -n "$workers" --dist loadfile "$@"
