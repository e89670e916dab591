#!/usr/bin/env bash
# The main job: set everything up, start the embedded PostGIS cluster, migrate, and load the demo
# territory (Mons-en-Barœul) with its synthetic partner files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OLS_SHARED_DATA=${OLS_SHARED_DATA:-$PWD/../shared/data}
.venv/bin/ols db start
.venv/bin/ols db migrate
.venv/bin/ols demo --out out/demo
