"""The manifest program of ``runicorn/remote/scripts/manifest.py``, loaded by file path.

That program, standard library only, is also sent to hosts without Runicorn: one
implementation, so a local and a remote manifest never disagree on a format detail. Loading it
by path rather than as ``runicorn.remote.scripts.manifest`` keeps the SSH stack (imported by
``runicorn.remote``) out of a local scan.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPT_PATH = Path(__file__).resolve().parent.parent / "remote" / "scripts" / "manifest.py"
_MODULE_NAME = "runicorn._manifest_script"


def _load_script() -> ModuleType:
    loaded = sys.modules.get(_MODULE_NAME)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, SCRIPT_PATH)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the manifest script {SCRIPT_PATH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


_script = _load_script()
FORMAT: str = _script.FORMAT
FORMAT_VERSION: int = _script.FORMAT_VERSION
TAIL_BYTES: int = _script.TAIL_BYTES


def script_source() -> str:
    """The manifest program's source, to run as ``python - ARGS`` on another host."""
    return SCRIPT_PATH.read_text(encoding="utf-8")


def is_append_only(name: str) -> bool:
    """Whether a file of this name only grows (``*.jsonl``, ``logs.txt``)."""
    return bool(_script.is_append_only(name))


def is_sha256(text: str) -> bool:
    """Whether ``text`` is a lower-case sha256 hex digest."""
    return bool(_script.is_sha256(text))


def generate_data(
    root: str, *, project: str | None, since: float | None, use_cache: bool
) -> dict[str, Any]:
    """The script's ``generate``: the manifest of ``root`` as JSON-ready data."""
    data: dict[str, Any] = _script.generate(root, project=project, since=since, use_cache=use_cache)
    return data


class FollowedRoot:
    """A root's manifest kept between the passes of a watching sync.

    The first call scans everything. Later calls list the run folders again (one ``stat`` per
    folder) and re-scan only the runs this process wrote to (:meth:`wrote`), runs not seen
    before, and runs whose folder changed (another writer renaming a document into it); every
    other run keeps its entry from the previous pass. A folder whose mtime was within the racy
    window when recorded is re-scanned once more, as the hash cache does for files.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self._runs: dict[str, tuple[int, float, dict[str, Any]]] | None = None
        self._dirty: set[str] = set()

    def wrote(self, rel: str) -> None:
        """Note that ``rel`` (a file under the root) was written: its run is re-scanned."""
        parts = rel.split("/")
        for end in range(1, len(parts)):
            self._dirty.add("/".join(parts[:end]))

    def forget(self) -> None:
        """Scan everything next time (after a failed pass)."""
        self._runs = None

    def manifest(self) -> dict[str, Any]:
        """The manifest, re-scanning only what may have changed since the last call."""
        if self._runs is None:
            data: dict[str, Any] = _script.generate(self.root, use_cache=True)
            scanner = _script.Scanner(self.root, use_cache=False)
            self._runs = {}
            for run in data["runs"]:
                self._remember(scanner, run)
            self._dirty.clear()
            return data
        scanner = _script.Scanner(self.root, use_cache=False)
        old, self._runs = self._runs, {}
        runs = []
        for rel_dir in scanner.run_dirs():
            kept = old.get(rel_dir)
            try:
                mtime_ns = os.stat(os.path.join(scanner.root, rel_dir)).st_mtime_ns
            except OSError:
                continue
            if (
                kept is None
                or rel_dir in self._dirty
                or kept[0] != mtime_ns
                or mtime_ns / 1e9 >= kept[1] - _script.RACY_SECONDS
            ):
                entry = scanner.run_entry(rel_dir, None, None)
                if entry is None:
                    continue
                self._remember(scanner, entry)
            else:
                entry = kept[2]
                self._runs[rel_dir] = kept
            runs.append(entry)
        self._dirty.clear()
        artifacts = scanner.artifact_files(None)
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "root": scanner.root,
            "exists": os.path.isdir(scanner.root),
            "generated_at": time.time(),
            "runs": runs,
            "artifact_files": artifacts,
            "blobs": scanner.blobs(None),
        }

    def _remember(self, scanner: Any, entry: dict[str, Any]) -> None:
        assert self._runs is not None
        try:
            mtime_ns = os.stat(os.path.join(scanner.root, entry["path"])).st_mtime_ns
        except OSError:
            return
        self._runs[entry["path"]] = (mtime_ns, time.time(), entry)


def encode(data: dict[str, Any], *, compress: bool = False) -> str:
    """A manifest as one line of text (``compress``: zlib + base64, for the wire)."""
    return str(_script.encode(data, compress=compress))


def decode(line: str) -> Any:
    """The data of a line made by :func:`encode`."""
    return _script.decode(line)


def run_main(argv: list[str]) -> int:
    """The script's command line (``--root``, ``--project``, ``--since``, ``-o``...)."""
    return int(_script.main(argv))
