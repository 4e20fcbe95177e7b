#!/usr/bin/env bash
# Sets everything up (Python packages, the web build, Debian's chromium and openssh-server for
# the browser and SSH tests) and runs the whole test suite: lint, types, unit, integration,
# browser and remote tests, and the web UI's own unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test: installing ${need[*]} with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "test: ${need[*]} missing and not root; the browser/SSH tests will be skipped" >&2
  fi
fi

bash scripts/setup.sh

.venv/bin/ruff check src tests bench
.venv/bin/mypy
if [ -f web/package.json ]; then
  node_bin=$(bash scripts/node.sh .venv)
  (
    export PATH="$node_bin:$PATH"
    cd web
    npm run --silent lint && npm run --silent typecheck && npm test --silent
  )
fi
.venv/bin/pytest -q "$@"
