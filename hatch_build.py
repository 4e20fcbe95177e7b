"""Build hook: a wheel always carries the web UI, built from ``web/`` when it is not built yet."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class WebUIBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        # Editable installs serve the UI from the source tree: scripts/setup.sh builds it there.
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        web = root / "web"
        if (root / "src/runicorn/viewer/static/index.html").is_file():
            return
        if not (web / "package.json").is_file():
            return  # an sdist without the UI source: the viewer explains how to build it
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building the wheel needs npm (Node.js 20+) to build the web UI")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web, check=True)
        subprocess.run([npm, "run", "build"], cwd=web, check=True)
