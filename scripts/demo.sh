#!/usr/bin/env bash
# Sets everything up, records three demo runs, and opens the viewer on them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ROOT=${RUNICORN_DEMO_ROOT:-"$PWD/demo-data"}
.venv/bin/runicorn demo --root "$ROOT" --live 600
echo "Opening the viewer on $ROOT (Ctrl-C to stop)"
exec .venv/bin/runicorn viewer --root "$ROOT" --open
