"""The source files of a project for ``run.log_code()``: what git tracks (and would track,
honouring ``.gitignore``), or the usual source files when the folder is not a git work tree.
Files over the size caps are left out, and said so.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_FILE_BYTES = 1 << 20
DEFAULT_MAX_TOTAL_BYTES = 50 << 20
MAX_FILES = 10_000
SOURCE_SUFFIXES = frozenset(
    {".py", ".pyi", ".ipynb", ".sh", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".json", ".txt",
     ".md", ".rst", ".c", ".cc", ".cpp", ".h", ".hpp", ".cu", ".rs", ".go", ".js", ".ts", ".r"}
)  # fmt: skip
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", ".runicorn",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist"}
)  # fmt: skip


@dataclass
class CodeSelection:
    """Files chosen for a code snapshot, relative to ``root``, and what was left out."""

    root: Path
    files: list[str] = field(default_factory=list)
    skipped_large: list[str] = field(default_factory=list)
    skipped_over_total: int = 0
    from_git: bool = False


def git_listed_files(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under ``root``; None outside a git tree."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    names = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({name for name in names if name})


def _walked_files(root: Path) -> list[str]:
    found: list[str] = []
    for current, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(names):
            if Path(name).suffix.lower() in SOURCE_SUFFIXES:
                found.append((Path(current) / name).relative_to(root).as_posix())
    return found


def select_code_files(
    root: Path,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
) -> CodeSelection:
    """The files of a code snapshot of ``root`` within the caps."""
    root = root.resolve()
    listed = git_listed_files(root)
    selection = CodeSelection(root=root, from_git=listed is not None)
    total = 0
    for relative in listed if listed is not None else _walked_files(root):
        path = root / relative
        if not path.is_file() or path.is_symlink():
            continue
        size = path.stat().st_size
        if size > max_file_bytes:
            selection.skipped_large.append(relative)
            continue
        if total + size > max_total_bytes or len(selection.files) >= MAX_FILES:
            selection.skipped_over_total += 1
            continue
        total += size
        selection.files.append(relative)
    return selection
