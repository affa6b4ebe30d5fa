#!/usr/bin/env bash
# Quick start, command 1: set up, start the embedded PostGIS (unless DATABASE_URL is set),
# migrate, load the Pingcheng demo district (first time only) and serve the dashboard.
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
setup
cd "$ROOT"
"$VENV/bin/gridgov" db start
"$VENV/bin/gridgov" db migrate
"$VENV/bin/gridgov" demo
"$VENV/bin/gridgov" users first-admin
say "dashboard at http://${GRIDGOV_HOST:-127.0.0.1}:${GRIDGOV_PORT:-8050} (Ctrl-C stops it)"
exec "$VENV/bin/gridgov" serve "$@"
