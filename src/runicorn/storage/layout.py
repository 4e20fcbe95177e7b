"""Where a run's files live under the storage root, and the naming rules that keep them there.

Layout (the original Runicorn SDK's): ``<root>/<project>/<name>/runs/<run_id>/``. A ``name`` may
hold ``/`` between segments (``b/c``); each segment must be a safe folder name on every OS.
The original SDK's later layout, ``<root>/runs/<a/b/c>/<run_id>`` (project ``a``, name ``b/c``),
is read too, but never written.
"""

from __future__ import annotations

import os
import re
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runicorn.errors import InvalidNameError, UnsafePathError

INDEX_DIR_NAME = ".runicorn"
RUNS_DIR_NAME = "runs"
# The original SDK (0.7.x) moved a deleted run to runs/.recycle/<run_id>.
ORIGINAL_RECYCLE_DIR_NAME = ".recycle"
RUN_MARKER_FILES = ("meta.json", "status.json", "events.jsonl")
MAX_NAME_LENGTH = 128

_RUN_ID_ALPHABET = string.digits + string.ascii_lowercase
_RUN_ID_PATTERN = re.compile(r"^[0-9]{8}_[0-9]{6}_[0-9a-z]{6}$")
_WINDOWS_FORBIDDEN = set('<>:"\\|?*')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
}
_SAFE_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


def new_run_id(now: float | None = None) -> str:
    """A sortable run id, ``YYYYMMDD_HHMMSS_xxxxxx`` (local time, 6 random base-36 chars)."""
    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(now))
    # os.urandom rather than the secrets module: the SDK is imported into every training
    # process, and secrets pulls in OpenSSL (~4 MB of RSS) for six random characters.
    number = int.from_bytes(os.urandom(8), "big")
    suffix = ""
    for _ in range(6):
        number, digit = divmod(number, len(_RUN_ID_ALPHABET))
        suffix += _RUN_ID_ALPHABET[digit]
    return f"{stamp}_{suffix}"


def looks_like_run_id(text: str) -> bool:
    """Whether ``text`` has the shape of a run id this SDK generates."""
    return bool(_RUN_ID_PATTERN.match(text))


def validate_run_id(run_id: str) -> str:
    """``run_id`` unchanged if it is a safe single folder name, else :class:`InvalidNameError`."""
    if not isinstance(run_id, str) or not _SAFE_RUN_ID.match(run_id) or ".." in run_id:
        raise InvalidNameError(
            f"run id {run_id!r} is not valid: use 1-128 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return run_id


def _check_segment(kind: str, full: str, segment: str) -> None:
    if segment == "":
        raise InvalidNameError(f"{kind} {full!r} is not valid: it has an empty path segment")
    if segment in (".", ".."):
        raise InvalidNameError(f"{kind} {full!r} is not valid: '.' and '..' are not allowed")
    if segment.lower() == INDEX_DIR_NAME:
        # Readers skip this folder name wherever it appears, so a run under it would be lost.
        raise InvalidNameError(
            f"{kind} {full!r} is not valid: {INDEX_DIR_NAME!r} is reserved for the index"
        )
    if segment != segment.strip() or segment.endswith("."):
        raise InvalidNameError(
            f"{kind} {full!r} is not valid: a segment may not start or end with a space, "
            "or end with '.'"
        )
    if segment.split(".")[0].upper() in _WINDOWS_RESERVED:
        raise InvalidNameError(f"{kind} {full!r} is not valid: {segment!r} is reserved on Windows")


def validate_name(value: str, kind: str = "name", *, allow_slash: bool = True) -> str:
    """``value`` unchanged if it is a valid project or run name, else :class:`InvalidNameError`.

    Rules: 1-128 characters; Unicode letters allowed; no control characters; none of
    ``< > : " \\ | ? *``; no ``/`` at either end (a ``/`` inside separates folders when
    ``allow_slash``); no ``.``/``..`` or ``.runicorn`` segments; no Windows device names.
    """
    if not isinstance(value, str):
        raise InvalidNameError(f"{kind} must be a string, got {type(value).__name__}")
    if not value:
        raise InvalidNameError(f"{kind} must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"{kind} {value[:20]!r}... is longer than {MAX_NAME_LENGTH} characters"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidNameError(f"{kind} {value!r} is not valid: it contains a control character")
    bad = sorted(_WINDOWS_FORBIDDEN.intersection(value))
    if bad:
        raise InvalidNameError(
            f"{kind} {value!r} is not valid: it contains {''.join(bad)!r}, "
            'which is not allowed in file names (< > : " \\ | ? *)'
        )
    if value.startswith("/") or value.endswith("/"):
        raise InvalidNameError(f"{kind} {value!r} is not valid: it may not start or end with '/'")
    if "/" in value and not allow_slash:
        raise InvalidNameError(f"{kind} {value!r} is not valid: it may not contain '/'")
    for segment in value.split("/"):
        _check_segment(kind, value, segment)
    return value


def run_dir(root: Path, project: str, name: str, run_id: str) -> Path:
    """The folder of a run in the layout this SDK writes."""
    validate_name(project, "project", allow_slash=False)
    validate_name(name, "name")
    validate_run_id(run_id)
    return root / project / Path(*name.split("/")) / RUNS_DIR_NAME / run_id


def ensure_within(root: Path, candidate: Path) -> Path:
    """``candidate`` resolved, if it stays inside ``root``; otherwise :class:`UnsafePathError`."""
    root_resolved = root.resolve()
    resolved = candidate.resolve()
    if resolved != root_resolved and root_resolved not in resolved.parents:
        raise UnsafePathError(f"path {candidate} leaves the storage root {root_resolved}")
    return resolved


@dataclass(frozen=True)
class RunLocation:
    """A run folder found on disk, with the project and name its place implies."""

    path: Path
    run_id: str
    project: str
    name: str


def is_run_dir(path: Path) -> bool:
    """Whether ``path`` holds the files of a run."""
    return any((path / marker).is_file() for marker in RUN_MARKER_FILES)


def in_original_recycle_bin(root: Path, path: Path) -> bool:
    """Whether ``path`` is a run the original SDK moved to ``runs/.recycle/<run_id>``."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    return len(parts) == 3 and parts[:2] == (RUNS_DIR_NAME, ORIGINAL_RECYCLE_DIR_NAME)


def location_from_path(root: Path, path: Path) -> RunLocation | None:
    """Project and name implied by a run folder's place under ``root``, in either layout."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    if in_original_recycle_bin(root, path):
        return None  # the recycle bin says nothing of project and name; meta.json does
    run_id = parts[-1] if parts else ""
    if len(parts) >= 4 and parts[-2] == RUNS_DIR_NAME:
        # <project>/<name...>/runs/<id>
        return RunLocation(path, run_id, parts[0], "/".join(parts[1:-2]))
    if len(parts) >= 3 and parts[0] == RUNS_DIR_NAME:
        # runs/<project>/<name...>/<id>  (the original SDK's later "path" layout)
        return RunLocation(path, run_id, parts[1], "/".join(parts[2:-1]) or "default")
    if len(parts) == 3 and parts[0] != RUNS_DIR_NAME:
        return RunLocation(path, run_id, parts[0], parts[1])
    return None


def iter_run_dirs(root: Path) -> Iterator[Path]:
    """Every run folder under ``root`` in either layout; the index folder and links are skipped."""
    if not root.is_dir():
        return
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False) or entry.name == INDEX_DIR_NAME:
                continue
            path = Path(entry.path)
            if is_run_dir(path):
                yield path
            else:  # a run's own media/ is never reached: run folders are not descended into
                stack.append(path)
