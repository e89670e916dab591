#!/usr/bin/env bash
# The main job: set everything up, start the embedded PostGIS cluster, migrate, and load the demo
# territory (Mons-en-Barœul) with its synthetic partner files, refresh it, print the demo logins and
# serve the map (OLS_DEMO_SERVE=0 to stop before serving).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OLS_SHARED_DATA=${OLS_SHARED_DATA:-$PWD/../shared/data}
.venv/bin/ols db start
.venv/bin/ols db migrate
.venv/bin/ols demo --out out/demo
if [ "${OLS_DEMO_SERVE:-1}" = "1" ]; then
  echo "Carte : http://127.0.0.1:${OLS_PORT:-8000}/  (Ctrl-C pour arrêter)"
  exec .venv/bin/ols serve --port "${OLS_PORT:-8000}"
fi
