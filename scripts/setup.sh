#!/usr/bin/env bash
# Shared set-up for ./serve.sh and ./test.sh: system packages, the virtualenv, the package.
# Idempotent: a second run installs nothing. Works as root, or as a user with sudo, or as a
# user whose system already has what is needed (otherwise it prints the exact command).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"

say() { printf '[gridgov] %s\n' "$*" >&2; }
die() { printf '[gridgov] error: %s\n' "$*" >&2; exit 1; }

check_python() {
  command -v "$PYTHON" >/dev/null || die "python3 not found; install Python 3.11 or newer"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$("$PYTHON" --version) is too old; gridgov needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)"
  "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
    || die "Python's venv module is missing; run: sudo apt-get install -y python3-venv"
}

pg_version() {  # newest installed PostgreSQL server major version, or nothing
  ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sed -E 's#.*/postgresql/([0-9]+)/.*#\1#' | sort -n | tail -1
}

missing_packages() {  # $1 = "test" to include the browser
  local v; v="$(pg_version)"
  if [ -z "$v" ]; then echo "postgresql"; return; fi
  # the control file and the library come in different packages: check both
  { [ -f "/usr/share/postgresql/$v/extension/postgis.control" ] && ls /usr/lib/postgresql/"$v"/lib/postgis-3*.so >/dev/null 2>&1; } \
    || echo "postgresql-$v-postgis-3"
  { [ -f "/usr/share/postgresql/$v/extension/pgrouting.control" ] && ls /usr/lib/postgresql/"$v"/lib/libpgrouting*.so >/dev/null 2>&1; } \
    || echo "postgresql-$v-pgrouting"
  command -v runuser >/dev/null || echo "util-linux"
  ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || echo "fonts-noto-cjk"
  # WeasyPrint (the reports' PDF) lays text out with Pango
  ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || echo "libpangoft2-1.0-0"
  if [ "${1:-}" = "test" ]; then
    command -v chromium >/dev/null || echo "chromium"
    command -v pdftotext >/dev/null || echo "poppler-utils"  # the tests read the reports' PDF back
  fi
}

apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo"
    else die "missing system packages; run: sudo apt-get install -y --no-install-recommends $*   (then run this command again)"
    fi
  fi
  command -v apt-get >/dev/null || die "no apt-get: install PostgreSQL with PostGIS and pgRouting, and $*, by hand"
  say "installing system packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null; } \
    || die "apt-get could not install: $*"
}

system_packages() {
  local pkgs
  pkgs="$(missing_packages "${1:-}")"
  [ -z "$pkgs" ] && return 0
  # shellcheck disable=SC2086
  apt_install $pkgs
  pkgs="$(missing_packages "${1:-}")"   # a fresh PostgreSQL needs its extensions next
  # shellcheck disable=SC2086
  [ -z "$pkgs" ] || apt_install $pkgs
}

python_env() {
  local stamp want
  want="$(cat "$ROOT/requirements.lock" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  stamp="$VENV/.gridgov-installed"
  [ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python packages (pinned in requirements.lock)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements.lock" 2>&1 | grep -v '^WARNING: Location' || true
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e "$ROOT" 2>&1 | grep -v '^WARNING: Location' || true
    "$VENV/bin/python" -c 'import gridgov, dash, geopandas, psycopg' || die "Python packages did not install; see the messages above"
    echo "$want" > "$stamp"
  fi
}

setup() {  # $1 = "test" for the test tools too
  check_python
  system_packages "${1:-}"
  python_env
}
