"""Paths the viewer serves: static files of the UI build, resolved safely."""

from __future__ import annotations

from pathlib import Path

from runicorn.security.path_validation import resolve_under

DEFAULT_STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def static_file(directory: Path, relative: str) -> Path | None:
    """The file ``relative`` under ``directory``, None when absent (never outside it)."""
    path = resolve_under(directory, relative)
    return path if path.is_file() else None
