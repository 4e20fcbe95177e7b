#!/usr/bin/env bash
# Sets up everything Runicorn needs on a fresh machine: a virtualenv with the package and its
# dev tools, and the web UI built into the package. Safe to run again (it only catches up).
#
# Usage: scripts/setup.sh [--no-dev]   (--no-dev: the package alone, as the demo needs)
#
# Needs Python 3.10+. Building the UI needs Node.js >= 20.19: the system's when it is recent
# enough, else scripts/node.sh installs one from PyPI into the virtualenv (no root, no apt).
set -euo pipefail
cd "$(dirname "$0")/.."

package='.[dev]'
if [ "${1:-}" = "--no-dev" ]; then
  package='.'
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e "$package"

if [ -f web/package.json ]; then
  node_bin=$(bash scripts/node.sh .venv)
  (
    export PATH="$node_bin:$PATH"
    cd web
    npm ci --no-audit --no-fund --loglevel=error
    npm run --silent build
  )
fi
