#!/usr/bin/env bash
# Sets up everything Runicorn needs on a fresh machine: a virtualenv with the package and its
# dev tools, and the web UI built into the package. Safe to run again (it only catches up).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

if [ -f web/package.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: npm not found; installing Node.js with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
  fi
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
fi
