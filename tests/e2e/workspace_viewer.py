"""A viewer of its own on a root of its own, for browser tests whose runs would change the counts
the shared root's tests rely on (a 1M-step run, histograms)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runicorn.remote.commands import VIEWER_READY_PREFIX

from .conftest import REPO, Viewer, _wait_until_indexed, viewer_env


@contextmanager
def running_viewer(root: Path, folder: Path, runs: int) -> Iterator[Viewer]:
    """``python -m runicorn viewer --port 0`` on ``root`` until the block ends."""
    stderr_path = folder / "viewer-stderr.txt"
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "runicorn", "viewer", "--root", str(root), "--port", "0"],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True,
            env=viewer_env(root, folder / "config"), cwd=REPO,
        )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith(VIEWER_READY_PREFIX):
        process.kill()
        process.wait(timeout=10)
        raise RuntimeError(f"the viewer did not start: {line!r}\n{stderr_path.read_text()}")
    url = json.loads(line[len(VIEWER_READY_PREFIX) :])["url"].rstrip("/")
    server = Viewer(url, root, process)
    try:
        _wait_until_indexed(server, runs)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        process.stdout.close()
