"""Turning request input into paths that provably stay under the storage root.

Every path the viewer builds from a URL goes through here: run ids must be single safe folder
names, and relative paths (media files, static files) may not be absolute, hold ``..`` or NUL,
or lead (through a symlink) outside the folder they are meant for.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from runicorn.errors import UnsafePathError
from runicorn.storage.layout import ensure_within, validate_run_id

MAX_RELATIVE_PATH_LENGTH = 1024

__all__ = ["resolve_under", "safe_relative_path", "safe_run_id"]


def safe_run_id(run_id: str) -> str:
    """``run_id`` if it is a safe single folder name (else :class:`InvalidNameError`)."""
    return validate_run_id(run_id)


def safe_relative_path(relative: str) -> PurePosixPath:
    """``relative`` as a clean relative POSIX path, or :class:`UnsafePathError`."""
    if not relative or len(relative) > MAX_RELATIVE_PATH_LENGTH:
        raise UnsafePathError(f"path {relative[:40]!r} is empty or too long")
    if "\x00" in relative or "\\" in relative:
        raise UnsafePathError(f"path {relative!r} holds a NUL or a backslash")
    path = PurePosixPath(relative)
    if path.is_absolute() or relative.startswith("/"):
        raise UnsafePathError(f"path {relative!r} is absolute; give a path inside the run")
    if not path.parts or any(part in ("..", "") for part in relative.split("/")):
        raise UnsafePathError(f"path {relative!r} leaves its folder ('..' or an empty segment)")
    if ":" in path.parts[0]:
        raise UnsafePathError(f"path {relative!r} names a drive; give a path inside the run")
    return path


def resolve_under(base: Path, relative: str) -> Path:
    """``base / relative`` resolved, refusing anything that would land outside ``base``.

    Symlinks are followed before the check, so a link inside ``base`` pointing elsewhere is
    refused too.
    """
    clean = safe_relative_path(relative)
    return ensure_within(base, base.joinpath(*clean.parts))
