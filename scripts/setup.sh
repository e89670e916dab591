#!/usr/bin/env bash
# Set up OLS on a Debian/Ubuntu machine: system packages (PostgreSQL 15 + PostGIS 3, GDAL) when
# missing, then a virtualenv with the pinned Python dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(postgresql-15 postgresql-15-postgis-3 postgresql-contrib gdal-bin python3-venv libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core ${OLS_EXTRA_PACKAGES:-})
missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "Installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "OLS needs Python 3.11")'
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! cmp -s requirements.lock .venv/.installed-lock 2>/dev/null; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.lock
  cp requirements.lock .venv/.installed-lock
fi
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e . 2>/dev/null \
  || .venv/bin/python -m pip install -q --no-deps -e .

# Leaflet and its plugins, pinned in web/package-lock.json, served by the API (never from a CDN).
if ! cmp -s web/package-lock.json web/node_modules/.ols-installed-lock 2>/dev/null; then
  (cd web && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.ols-installed-lock)
fi
