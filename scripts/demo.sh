#!/usr/bin/env bash
# Sets up what the demo needs (the package and its web UI, without the dev tools), records three
# demo runs plus one that keeps logging live, and opens the viewer on them. Ctrl-C stops the
# viewer and the live run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--no-setup" ]; then
  bash scripts/setup.sh --no-dev
fi
ROOT=${RUNICORN_DEMO_ROOT:-"$PWD/demo-data"}
.venv/bin/runicorn demo --root "$ROOT"

live_run=
stop_live_run() {
  if [ -n "$live_run" ]; then
    kill "$live_run" 2>/dev/null || true
    wait "$live_run" 2>/dev/null || true
  fi
}
trap stop_live_run EXIT
trap 'exit 130' INT TERM
# In the background of a script the live run ignores Ctrl-C: the EXIT trap stops it instead.
.venv/bin/runicorn demo --root "$ROOT" --runs 0 --live 600 --wait >/dev/null &
live_run=$!

echo "Opening the viewer on $ROOT (Ctrl-C to stop)"
.venv/bin/runicorn viewer --root "$ROOT" --open
