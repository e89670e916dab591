#!/usr/bin/env bash
# Set everything up and run the whole test suite (real PostGIS), then ruff and mypy --strict.
set -euo pipefail
cd "$(dirname "$0")/.."
OLS_EXTRA_PACKAGES="chromium wrk poppler-utils" bash scripts/setup.sh
export OLS_SHARED_DATA=${OLS_SHARED_DATA:-$PWD/../shared/data}
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy ols etl api cli
.venv/bin/python -m pytest "$@"
