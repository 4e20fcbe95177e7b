"""The manifest program of ``runicorn/remote/scripts/manifest.py``, loaded by file path.

That program, standard library only, is also sent to hosts without Runicorn: one
implementation, so a local and a remote manifest never disagree on a format detail. Loading it
by path rather than as ``runicorn.remote.scripts.manifest`` keeps the SSH stack (imported by
``runicorn.remote``) out of a local scan.
"""

from __future__ import annotations

import importlib.util
import sys
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


def encode(data: dict[str, Any], *, compress: bool = False) -> str:
    """A manifest as one line of text (``compress``: zlib + base64, for the wire)."""
    return str(_script.encode(data, compress=compress))


def decode(line: str) -> Any:
    """The data of a line made by :func:`encode`."""
    return _script.decode(line)


def run_main(argv: list[str]) -> int:
    """The script's command line (``--root``, ``--project``, ``--since``, ``-o``...)."""
    return int(_script.main(argv))
