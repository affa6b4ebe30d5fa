#!/usr/bin/env bash
# Quick start, command 2: set up exactly as ./serve.sh does (plus headless Chromium) and run
# the whole test suite against a throwaway PostGIS cluster. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
setup test
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
