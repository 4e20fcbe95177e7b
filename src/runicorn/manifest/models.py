"""What a manifest says about a storage root, and what a sync did.

A manifest lists, per run, its folder relative to the root, identity (the ``meta.json`` fields
that name the run), status and files; per file its size and mtime with the sha256 of the whole
file, or for append-only files the sha256 of its last 4 KiB (``tail``). It also lists the
artifact documents under ``.runicorn/artifacts`` and the blobs by hash.

A manifest read from another host is untrusted input: :meth:`Manifest.from_dict` checks every
type here, and the sync engine checks every path before it writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from runicorn.errors import RunicornError
from runicorn.manifest.script import FORMAT, FORMAT_VERSION, is_append_only, is_sha256

__all__ = [
    "FORMAT_VERSION",
    "Conflict",
    "FileEntry",
    "Manifest",
    "ManifestError",
    "RunEntry",
    "SyncReport",
    "is_append_only",
]

IDENTITY_KEYS = ("id", "project", "name", "created_at")


class ManifestError(RunicornError, ValueError):
    """A manifest is malformed or of a format this version cannot read."""


def _int(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise ManifestError(f"manifest: {what} must be a non-negative integer, got {value!r}")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ManifestError(f"manifest: {what} must be a string, got {type(value).__name__}")
    return value


def _digest(value: Any, what: str) -> str:
    if not isinstance(value, str) or not is_sha256(value):
        raise ManifestError(f"manifest: {what} must be a sha256 hex digest")
    return value


@dataclass(frozen=True)
class FileEntry:
    """One file: size and mtime, and ``sha256`` (whole file) or ``tail`` (last 4 KiB)."""

    size: int
    mtime_ns: int
    sha256: str | None = None
    tail: str | None = None

    @classmethod
    def from_dict(cls, data: Any, what: str) -> FileEntry:
        if not isinstance(data, dict):
            raise ManifestError(f"manifest: {what} must be an object")
        sha, tail = data.get("sha256"), data.get("tail")
        if (sha is None) == (tail is None):
            raise ManifestError(f"manifest: {what} needs exactly one of sha256 and tail")
        return cls(
            size=_int(data.get("size"), f"{what}.size"),
            mtime_ns=_int(data.get("mtime_ns"), f"{what}.mtime_ns"),
            sha256=None if sha is None else _digest(sha, f"{what}.sha256"),
            tail=None if tail is None else _digest(tail, f"{what}.tail"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"size": self.size, "mtime_ns": self.mtime_ns}
        if self.sha256 is not None:
            out["sha256"] = self.sha256
        if self.tail is not None:
            out["tail"] = self.tail
        return out


def _files(data: Any, what: str) -> dict[str, FileEntry]:
    if not isinstance(data, dict):
        raise ManifestError(f"manifest: {what} must be an object")
    return {
        _str(name, f"{what} key"): FileEntry.from_dict(entry, f"{what}[{name!r}]")
        for name, entry in data.items()
    }


@dataclass(frozen=True)
class RunEntry:
    """One run folder of a root."""

    id: str
    path: str
    status: str
    project: str | None
    name: str | None
    created_at: float | None
    identity: dict[str, Any]
    files: dict[str, FileEntry]

    @classmethod
    def from_dict(cls, data: Any) -> RunEntry:
        if not isinstance(data, dict):
            raise ManifestError("manifest: every run must be an object")
        run_id = _str(data.get("id"), "run id")
        identity = data.get("identity") or {}
        if not isinstance(identity, dict):
            raise ManifestError(f"manifest: identity of run {run_id} must be an object")
        created = data.get("created_at")
        project, name = data.get("project"), data.get("name")
        return cls(
            id=run_id,
            path=_str(data.get("path"), f"path of run {run_id}"),
            status=str(data.get("status") or "unknown"),
            project=project if isinstance(project, str) else None,
            name=name if isinstance(name, str) else None,
            created_at=float(created) if isinstance(created, int | float) else None,
            identity={k: identity.get(k) for k in IDENTITY_KEYS},
            files=_files(data.get("files", {}), f"files of run {run_id}"),
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["files"] = {k: v.to_dict() for k, v in self.files.items()}
        return out

    @property
    def size(self) -> int:
        """Bytes in all the run's files."""
        return sum(f.size for f in self.files.values())


@dataclass(frozen=True)
class Manifest:
    """Everything a root holds that a sync can move."""

    root: str
    generated_at: float
    runs: list[RunEntry]
    artifact_files: dict[str, FileEntry] = field(default_factory=dict)
    blobs: dict[str, int] = field(default_factory=dict)
    exists: bool = True

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """A manifest from decoded JSON, every field checked (it may come from another host)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ManifestError("not a Runicorn manifest (no 'format': 'runicorn-manifest')")
        if data.get("version") != FORMAT_VERSION:
            raise ManifestError(
                f"manifest format version {data.get('version')!r} is not supported (this "
                f"Runicorn reads version {FORMAT_VERSION}); upgrade Runicorn on both sides"
            )
        runs = data.get("runs", [])
        blobs = data.get("blobs", {})
        if not isinstance(runs, list) or not isinstance(blobs, dict):
            raise ManifestError("manifest: 'runs' must be a list and 'blobs' an object")
        generated = data.get("generated_at")
        return cls(
            root=_str(data.get("root", ""), "root"),
            generated_at=float(generated) if isinstance(generated, int | float) else 0.0,
            runs=[RunEntry.from_dict(run) for run in runs],
            artifact_files=_files(data.get("artifact_files", {}), "artifact_files"),
            blobs={
                _digest(sha, "blob name"): _int(size, f"size of blob {sha}")
                for sha, size in blobs.items()
            },
            exists=bool(data.get("exists", True)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (the one the stdlib script prints)."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "root": self.root,
            "exists": self.exists,
            "generated_at": self.generated_at,
            "runs": [run.to_dict() for run in self.runs],
            "artifact_files": {k: v.to_dict() for k, v in self.artifact_files.items()},
            "blobs": dict(self.blobs),
        }

    @property
    def total_bytes(self) -> int:
        """Bytes in every file the manifest lists."""
        runs = sum(run.size for run in self.runs)
        return runs + sum(f.size for f in self.artifact_files.values()) + sum(self.blobs.values())


@dataclass(frozen=True)
class Conflict:
    """A run (or artifact document) both sides hold with different content: left alone."""

    item: str
    reason: str

    def __str__(self) -> str:
        return f"conflict: {self.item}: {self.reason}"


@dataclass
class SyncReport:
    """What one sync pass (or the sum of several) did."""

    source: str = ""
    destination: str = ""
    dry_run: bool = False
    passes: int = 0
    runs_seen: int = 0
    runs_new: list[str] = field(default_factory=list)
    runs_updated: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files_written: int = 0
    bytes_moved: int = 0
    bytes_read: int = 0
    blobs_copied: int = 0
    seconds: float = 0.0
    index_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No conflict, refused path or error."""
        return not (self.conflicts or self.refused or self.errors)

    def merge(self, other: SyncReport) -> None:
        """Add another pass's figures to this report (watch mode keeps one running total)."""
        self.passes += other.passes
        self.runs_seen = other.runs_seen
        self.runs_new += [r for r in other.runs_new if r not in self.runs_new]
        self.runs_updated += [r for r in other.runs_updated if r not in self.runs_updated]
        self.conflicts = list(other.conflicts)
        self.refused = list(other.refused)
        self.errors += other.errors
        self.files_written += other.files_written
        self.bytes_moved += other.bytes_moved
        self.bytes_read += other.bytes_read
        self.blobs_copied += other.blobs_copied
        self.seconds += other.seconds
        self.index_seconds += other.index_seconds
        self.notes += [n for n in other.notes if n not in self.notes]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (API answers, ``--json``)."""
        out = asdict(self)
        out["conflicts"] = [asdict(c) for c in self.conflicts]
        out["ok"] = self.ok
        return out
