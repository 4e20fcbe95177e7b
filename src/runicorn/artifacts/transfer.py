"""Artifacts in export archives: the versions the exported runs produced or used, and their
blobs, so that an import into another root keeps them usable.

An archive carries each version's document in its manifest (under ``"artifacts"``) and each
blob once, as the member ``.runicorn-artifacts/blobs/<sha256>``. On import every blob is
hashed while it is unpacked and adopted only when its bytes match its name; a version is
written only when all its blobs arrived intact and its number is free (or holds the very
same content). Nothing already in the target root is replaced.
"""

from __future__ import annotations

import contextlib
import os
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any

from runicorn.artifacts.blobs import check_sha256
from runicorn.artifacts.models import ArtifactVersion, FileEntry, version_digest
from runicorn.artifacts.storage import ArtifactStore, read_run_edges
from runicorn.errors import RunicornError

BLOB_MEMBER_PREFIX = ".runicorn-artifacts/blobs"
MANIFEST_KEY = "artifacts"


def blob_member(sha256: str) -> str:
    return f"{BLOB_MEMBER_PREFIX}/{sha256}"


def export_artifacts(
    tar: tarfile.TarFile, root: Path, runs: list[tuple[str, Path]]
) -> dict[str, Any]:
    """Add the blobs of every version the ``(project, run folder)`` runs touched to ``tar``;
    returns the manifest section (version documents and blob sizes)."""
    versions: dict[tuple[str, str, int], ArtifactVersion] = {}
    with ArtifactStore(root) as store:
        for project, run_path in runs:
            for edge in store.run_edges(run_path, project):
                key = (edge.project, edge.name, edge.version)
                if key in versions:
                    continue
                with contextlib.suppress(RunicornError):
                    versions[key] = store.resolve(edge.project, edge.name, str(edge.version))
        blobs: dict[str, int] = {}
        for version in versions.values():
            for entry in version.files.values():
                if entry.sha256 in blobs:
                    continue
                path = store.verified_blob(entry)  # a corrupt blob is never exported
                info = tarfile.TarInfo(blob_member(entry.sha256))
                info.size, info.mode = entry.size, 0o644
                info.mtime = int(path.stat().st_mtime)
                with open(path, "rb") as source:
                    tar.addfile(info, source)
                blobs[entry.sha256] = entry.size
    return {
        "versions": [v.file_document() for _, v in sorted(versions.items())],
        "blobs": blobs,
    }


def listed_blob_members(manifest: dict[str, Any]) -> dict[str, int]:
    """``{member name: size}`` of the blobs a manifest declares (empty for older archives)."""
    section = manifest.get(MANIFEST_KEY)
    if not isinstance(section, dict):
        return {}
    blobs = section.get("blobs")
    if not isinstance(blobs, dict):
        return {}
    listed: dict[str, int] = {}
    for sha256, size in blobs.items():
        if type(size) is not int or size < 0:
            continue
        with contextlib.suppress(RunicornError):
            listed[blob_member(check_sha256(sha256))] = size
    return listed


def adopt_artifacts(
    root: Path,
    staging: Path,
    manifest: dict[str, Any],
    hashes: dict[str, tuple[int, str]],
    imported_runs: list[tuple[str, str | None, Path]],
) -> list[dict[str, str]]:
    """Move intact blobs into the store, write the versions, index the imported runs' edges.

    Returns what was skipped, as ``{"id", "reason"}`` items.
    """
    section = manifest.get(MANIFEST_KEY)
    if not isinstance(section, dict):
        return []
    skipped: list[dict[str, str]] = []
    with ArtifactStore(root) as store:
        intact = _adopt_blobs(store, staging, hashes)
        for document in section.get("versions") or []:
            reason, label = _adopt_version(store, document, intact)
            if reason:
                skipped.append({"id": label, "reason": reason})
        for run_id, project, run_path in imported_runs:
            if read_run_edges(run_path) != {"used": [], "produced": []}:
                with contextlib.suppress(RunicornError):
                    store.index_run_edges(run_path, run_id, project)
    return skipped


def _adopt_blobs(
    store: ArtifactStore, staging: Path, hashes: dict[str, tuple[int, str]]
) -> set[str]:
    intact: set[str] = set()
    for name, (_, sha256) in hashes.items():
        member = PurePosixPath(name)
        if str(member.parent) != BLOB_MEMBER_PREFIX or member.name != sha256:
            continue  # not a blob, or its bytes do not hash to its name
        staged = staging.joinpath(*member.parts)
        target = store.blobs.path_of(sha256)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(staged, 0o444)
            os.replace(staged, target)
        intact.add(sha256)
    return intact


def _adopt_version(store: ArtifactStore, document: Any, intact: set[str]) -> tuple[str | None, str]:
    try:
        version = ArtifactVersion.from_document(document)
        label = f"artifact {version.project}/{version.label}"
        store.folder(version.project, version.name)
    except (ValueError, RunicornError) as exc:
        return f"a version in the manifest is malformed: {exc}", "artifact ?"
    missing = [path for path, entry in version.files.items() if entry.sha256 not in intact]
    if missing:
        return f"its file {missing[0]!r} is missing or altered in the archive", label
    files = {path: FileEntry(e.sha256, e.size) for path, e in version.files.items()}
    if version_digest(files, version.references) != version.digest:
        return "its digest does not match its files", label
    try:
        existing = store.resolve(version.project, version.name, str(version.version))
    except RunicornError:
        existing = None
    if existing is not None:
        if existing.digest == version.digest:
            return None, label
        return f"v{version.version} already exists here with other content", label
    try:
        store.import_version(version)
    except (RunicornError, OSError) as exc:
        return f"cannot write it: {exc}", label
    return None, label
