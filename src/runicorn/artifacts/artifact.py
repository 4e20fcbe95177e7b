"""``rn.Artifact``: a plain description of files, references and metadata to version.

Nothing is read, hashed or copied here: the description is handed to the run's artifact
writer (``writer.py``), which stores it off the training thread. Bad input (a missing file,
a folder given to ``add_file``, an invalid name) never raises into a training script: it is
one clear warning, remembered in :attr:`Artifact.problems`, and such an artifact is not
logged (nothing half-made is stored).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runicorn.artifacts.models import (
    check_artifact_path,
    validate_artifact_name,
    validate_artifact_type,
)
from runicorn.errors import ArtifactError, RunicornError


@dataclass(frozen=True)
class PendingFile:
    """A file to store as ``name`` in the version."""

    source: Path
    name: str
    stamp: tuple[int, int] | None = None  # size and mtime when logged


class Artifact:
    """Files and metadata to log as one version of ``name`` (``type``: model, dataset …)."""

    def __init__(
        self,
        name: str,
        type: str = "artifact",
        *,
        description: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.type = type
        self.description = str(description or "")
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.files: dict[str, PendingFile] = {}
        self.references: list[dict[str, Any]] = []
        self.problems: list[str] = []
        try:
            validate_artifact_name(name)
            validate_artifact_type(type)
        except RunicornError as exc:
            self._problem(str(exc))

    def add_file(self, path: str | os.PathLike[str], name: str | None = None) -> Artifact:
        """Add one file, stored as ``name`` (default: its file name)."""
        source = Path(path)
        if source.is_dir():
            return self._problem(f"{source} is a folder: use add_dir() for folders")
        if not source.is_file():
            return self._problem(f"{source} does not exist or is not a regular file")
        if not os.access(source, os.R_OK):
            return self._problem(f"{source} is not readable")
        return self._put(name or source.name, source)

    def add_dir(self, path: str | os.PathLike[str], prefix: str = "") -> Artifact:
        """Add every file under a folder, stored as ``prefix/relative/path``."""
        folder = Path(path)
        if not folder.is_dir():
            return self._problem(f"{folder} is not a folder (or does not exist)")
        prefix = prefix.strip("/")
        for current, dirs, names in os.walk(folder):
            dirs.sort()
            for file_name in sorted(names):
                source = Path(current) / file_name
                if not source.is_file():
                    continue
                relative = source.relative_to(folder).as_posix()
                self._put(f"{prefix}/{relative}" if prefix else relative, source)
        return self

    def add_reference(self, uri: str, name: str | None = None, **extra: Any) -> Artifact:
        """Record a URI (``s3://…``, ``https://…``) without copying what it points at."""
        if not isinstance(uri, str) or not uri.strip():
            return self._problem("a reference needs a non-empty URI")
        reference: dict[str, Any] = {**extra, "uri": uri.strip()}
        if name:
            reference["name"] = name
        self.references.append(reference)
        return self

    def _put(self, stored: str, source: Path) -> Artifact:
        try:
            clean = check_artifact_path(stored)
        except ArtifactError as exc:
            return self._problem(str(exc))
        existing = self.files.get(clean)
        if existing is not None and existing.source != source.absolute():
            return self._problem(f"two files would be stored as {clean!r} in {self.name}")
        self.files[clean] = PendingFile(source.absolute(), clean)
        return self

    def _problem(self, message: str) -> Artifact:
        self.problems.append(message)
        warnings.warn(f"Runicorn artifact {self.name!r}: {message}", RuntimeWarning, stacklevel=3)
        return self

    def __repr__(self) -> str:
        return f"<runicorn.Artifact {self.name} ({self.type}), {len(self.files)} files>"
