"""Print the runs under a storage root as one JSON line (``python - [ROOT]``), newest first.

Walks both layouts the viewer reads (``<project>/<name>/runs/<id>`` and the original SDK's
``runs/<project>/<name>/<id>``) and reads each run's ``meta.json`` and ``status.json``. A
``running`` run whose heartbeat is older than three intervals is reported ``crashed``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

MARKERS = ("meta.json", "status.json", "events.jsonl")
INDEX_DIR = ".runicorn"
DEFAULT_HEARTBEAT_INTERVAL = 10.0


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object file's content, or ``{}``."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def place(parts: list[str]) -> tuple[str, str]:
    """Project and name implied by a run folder's path relative to the root."""
    if len(parts) >= 4 and parts[-2] == "runs":
        return parts[0], "/".join(parts[1:-2])
    if len(parts) >= 3 and parts[0] == "runs":
        return parts[1], "/".join(parts[2:-1]) or "default"
    return parts[0], "/".join(parts[1:-1]) or "default"


def describe(root: Path, path: Path) -> dict[str, Any]:
    """One run item: id, project, name, status, times and its path under the root."""
    parts = list(path.relative_to(root).parts)
    meta = read_json(path / "meta.json")
    status = read_json(path / "status.json")
    project, name = place(parts)
    state = status.get("status") or "unknown"
    beat = status.get("heartbeat_at")
    interval = meta.get("heartbeat_interval") or DEFAULT_HEARTBEAT_INTERVAL
    if state == "running" and isinstance(beat, (int, float)) and time.time() - beat > 3 * interval:
        state = "crashed"
    return {
        "id": meta.get("id") or path.name,
        "project": meta.get("project") or project,
        "name": meta.get("name") or name,
        "status": state,
        "created_at": meta.get("created_at"),
        "ended_at": status.get("ended_at"),
        "path": "/".join(parts),
    }


def find_runs(root: Path) -> list[dict[str, Any]]:
    """Every run under ``root``, newest first."""
    runs: list[dict[str, Any]] = []
    stack: list[Path] = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False) or entry.name == INDEX_DIR:
                continue
            path = Path(entry.path)
            if any((path / marker).is_file() for marker in MARKERS):
                runs.append(describe(root, path))
            elif entry.name != "media":
                stack.append(path)
    runs.sort(key=lambda run: (run["created_at"] or 0, run["id"]), reverse=True)
    return runs


def configured_root() -> str | None:
    """The root set with ``runicorn config --set-root`` on this host, if any."""
    folder = os.environ.get("RUNICORN_CONFIG_DIR")
    candidates = [Path(folder)] if folder else []
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or "~/.config").expanduser()
    candidates += [xdg / "runicorn", Path("~/Library/Application Support/runicorn").expanduser()]
    for candidate in candidates:
        value = read_json(candidate / "config.json").get("user_root_dir")
        if isinstance(value, str) and value:
            return value
    return None


def main(argv: list[str]) -> None:
    given = argv[1] if len(argv) > 1 else ""
    root = given or os.environ.get("RUNICORN_DIR") or configured_root() or "~/RunicornData"
    path = Path(root).expanduser().absolute()
    exists = path.is_dir()
    runs = find_runs(path) if exists else []
    print(json.dumps({"root": str(path), "exists": exists, "runs": runs}))


if __name__ == "__main__":
    main(sys.argv)
