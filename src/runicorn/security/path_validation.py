"""Turning request input into paths that provably stay under the storage root.

Every path the viewer builds from a URL goes through here: run ids must be single safe folder
names, and relative paths (media files, static files) may not be absolute, hold ``..`` or NUL,
or lead (through a symlink) outside the folder they are meant for.

Every file a request makes the viewer read (``logs.txt``, ``events.jsonl``, ``status.json``,
``environment.json``, ...) is opened through :func:`open_under` or, for readers that open the
file themselves, checked by :func:`file_under`: a run folder is not trusted to hold only its
own files, since anyone who can write into the root can plant ``logs.txt -> ~/.ssh/id_rsa``.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from runicorn.errors import UnsafePathError
from runicorn.storage.jsonio import loads
from runicorn.storage.layout import ensure_within, validate_run_id

MAX_RELATIVE_PATH_LENGTH = 1024

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
# Walking the path one folder at a time with O_NOFOLLOW closes the gap between the check and
# the open (a link swapped in meanwhile is refused); where the OS lacks it, check then open.
_WALKS = bool(_NOFOLLOW and _DIRECTORY) and os.open in os.supports_dir_fd

__all__ = [
    "file_under",
    "open_under",
    "read_json_under",
    "resolve_under",
    "safe_relative_path",
    "safe_run_id",
]


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


def file_under(root: Path, path: Path) -> Path:
    """``path`` with its links followed, if it stays under ``root`` (else :class:`UnsafePathError`).

    A missing file is fine (the caller finds it missing); a link inside the root to another
    file inside the root is fine too.
    """
    try:
        return ensure_within(root, path)
    except UnsafePathError:
        raise UnsafePathError(
            f"{path.name} of {path.parent} leads outside the storage root; it is not served "
            "(replace the link with the file itself)"
        ) from None


def open_under(root: Path, path: Path) -> BinaryIO:
    """``path`` opened for reading, if it is a regular file that stays under ``root``.

    Raises :class:`FileNotFoundError` when it does not exist and :class:`UnsafePathError` when
    it (or a folder on the way) leads outside ``root``, or is not a regular file (a FIFO would
    stall the reader forever).
    """
    resolved = file_under(root, path)
    fd = _open_walking(root.resolve(), resolved) if _WALKS else os.open(resolved, os.O_RDONLY)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafePathError(f"{path} is not a regular file; it is not served")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_json_under(root: Path, path: Path) -> Any:
    """The JSON document ``path``; None when missing, unreadable or leading outside ``root``."""
    try:
        with open_under(root, path) as handle:
            return loads(handle.read())
    except (OSError, ValueError):  # UnsafePathError is a ValueError
        return None


def _open_walking(root: Path, resolved: Path) -> int:
    parts = resolved.relative_to(root).parts
    if not parts:
        raise UnsafePathError(f"{resolved} is the storage root, not a file in it")
    folder = os.open(root, os.O_RDONLY | _DIRECTORY)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise UnsafePathError(f"{resolved} changed into a link while it was opened") from exc
        raise
    finally:
        os.close(folder)
