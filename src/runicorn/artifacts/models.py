"""The records of the artifact store: versions, references to them, stage transitions.

These are plain values read from and written to the files under ``.runicorn/artifacts/``
(the truth); nothing here touches the disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from runicorn.errors import ArtifactError, InvalidNameError, UnsafePathError
from runicorn.security.path_validation import safe_relative_path
from runicorn.storage.layout import validate_name

Stage = Literal["none", "staging", "production", "archived"]
STAGES: tuple[Stage, ...] = ("none", "staging", "production", "archived")
EdgeKind = Literal["used", "produced"]
MODEL_TYPE = "model"
LATEST = "latest"

_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")  # aliases and types
_VERSION_PATTERN = re.compile(r"^v?([0-9]{1,9})$")


def validate_artifact_name(name: str) -> str:
    """``name`` if it is a valid artifact name (a single safe folder name), else an error."""
    return validate_name(name, "artifact name", allow_slash=False)


def validate_artifact_type(kind: str) -> str:
    """``kind`` if it is a valid artifact type (``model``, ``dataset``, ``code`` ...)."""
    if not isinstance(kind, str) or not _TOKEN_PATTERN.match(kind):
        raise InvalidNameError(
            f"artifact type {kind!r} is not valid: use 1-64 letters, digits, '_', '-' or '.'"
        )
    return kind


def validate_alias(alias: str) -> str:
    """``alias`` if a user may set it: not ``latest`` (automatic), not a version like ``v3``."""
    if not isinstance(alias, str) or not _TOKEN_PATTERN.match(alias):
        raise InvalidNameError(
            f"alias {alias!r} is not valid: use 1-64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    if alias == LATEST:
        raise InvalidNameError("alias 'latest' is set automatically on the newest version")
    if _VERSION_PATTERN.match(alias):
        raise InvalidNameError(f"alias {alias!r} looks like a version number; pick another name")
    return alias


def check_artifact_path(path: str) -> str:
    """``path`` as a clean relative path inside an artifact, else :class:`ArtifactError`."""
    try:
        return str(safe_relative_path(path))
    except UnsafePathError as exc:
        raise ArtifactError(f"artifact path {path!r} is not allowed: {exc}") from exc


def parse_version_number(selector: str) -> int | None:
    """``3`` for ``"3"`` or ``"v3"``; None when ``selector`` is an alias."""
    match = _VERSION_PATTERN.match(selector)
    return int(match.group(1)) if match else None


def validate_stage(stage: str) -> Stage:
    """``stage`` if it is one of :data:`STAGES`."""
    if stage not in STAGES:
        raise InvalidNameError(f"stage {stage!r} is not valid: use one of {', '.join(STAGES)}")
    return stage


@dataclass(frozen=True)
class ArtifactRef:
    """``[project/]name:selector`` as a user writes it (``weights:v3``, ``vision/data:best``)."""

    name: str
    selector: str = LATEST
    project: str | None = None

    @classmethod
    def parse(cls, text: str, *, default_project: str | None = None) -> ArtifactRef:
        """Parse ``text``; a missing selector means ``latest``."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidNameError("an artifact reference must be a non-empty 'name:alias' string")
        base, _, selector = text.strip().partition(":")
        project, _, name = base.rpartition("/")
        selector = selector or LATEST
        if not (selector == LATEST or parse_version_number(selector) is not None):
            validate_alias(selector)
        validate_artifact_name(name)
        if project:
            validate_name(project, "project", allow_slash=False)
        return cls(name=name, selector=selector, project=project or default_project)

    def __str__(self) -> str:
        prefix = f"{self.project}/" if self.project else ""
        return f"{prefix}{self.name}:{self.selector}"


@dataclass(frozen=True)
class FileEntry:
    """One file of a version: where its bytes live (``sha256``) and how many there are."""

    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size}


@dataclass
class ArtifactVersion:
    """One immutable version, as its ``v<N>.json`` file says, plus its current aliases/stage."""

    project: str
    name: str
    type: str
    version: int
    digest: str
    created_at: float
    created_by: str | None
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    files: dict[str, FileEntry] = field(default_factory=dict)
    references: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0
    aliases: list[str] = field(default_factory=list)
    stage: Stage = "none"

    @property
    def label(self) -> str:
        """``name:v3``."""
        return f"{self.name}:v{self.version}"

    def file_document(self) -> dict[str, Any]:
        """What ``v<N>.json`` holds (aliases and stage live in their own files)."""
        return {
            "name": self.name,
            "project": self.project,
            "type": self.type,
            "version": self.version,
            "digest": self.digest,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "description": self.description,
            "metadata": self.metadata,
            "files": {path: entry.to_dict() for path, entry in sorted(self.files.items())},
            "references": self.references,
            "size": self.size,
        }

    def to_dict(self) -> dict[str, Any]:
        """The version as the API and CLI show it."""
        return {**self.file_document(), "aliases": self.aliases, "stage": self.stage}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ArtifactVersion:
        """A version from a decoded ``v<N>.json``; ``ValueError`` when a field is malformed."""
        try:
            files = {
                str(path): FileEntry(str(entry["sha256"]), int(entry["size"]))
                for path, entry in dict(document.get("files") or {}).items()
            }
            return cls(
                project=str(document["project"]),
                name=str(document["name"]),
                type=str(document.get("type") or "artifact"),
                version=int(document["version"]),
                digest=str(document["digest"]),
                created_at=float(document.get("created_at") or 0.0),
                created_by=document.get("created_by"),
                description=str(document.get("description") or ""),
                metadata=dict(document.get("metadata") or {}),
                files=files,
                references=list(document.get("references") or []),
                size=int(document.get("size") or 0),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed version document: {exc!r}") from exc


@dataclass(frozen=True)
class StageTransition:
    """One line of ``lifecycle.jsonl``."""

    ts: float
    version: int
    from_stage: Stage
    to_stage: Stage
    reason: str
    by: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ts": self.ts,
            "version": self.version,
            "from": self.from_stage,
            "to": self.to_stage,
            "reason": self.reason,
            "by": self.by,
        }

    @classmethod
    def from_dict(cls, line: dict[str, Any]) -> StageTransition:
        return cls(
            ts=float(line["ts"]),
            version=int(line["version"]),
            from_stage=validate_stage(str(line.get("from", "none"))),
            to_stage=validate_stage(str(line["to"])),
            reason=str(line.get("reason") or ""),
            by=line.get("by"),
        )


@dataclass(frozen=True)
class RunEdge:
    """A run used or produced a version."""

    run_id: str
    project: str
    name: str
    version: int
    kind: EdgeKind


def version_digest(files: dict[str, FileEntry], references: list[dict[str, Any]]) -> str:
    """sha256 over the sorted (path, sha256) pairs, then the reference URIs."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(files[path].sha256.encode())
        digest.update(b"\n")
    for reference in sorted(str(r.get("uri", "")) for r in references):
        digest.update(b"ref\0")
        digest.update(reference.encode())
        digest.update(b"\n")
    return digest.hexdigest()
