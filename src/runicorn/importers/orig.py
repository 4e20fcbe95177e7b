"""Storage roots of the original Runicorn SDK, in both of its layouts.

Runs keep their ids, events, media, logs and environment; ``path`` becomes project and name
(``cv/yolo/ablation`` is project ``cv``, name ``yolo/ablation``), ``alias`` stays in meta.json;
config, tags and deletion are read as ``runicorn migrate`` reads them (``assets.json``'s
``log_config`` record, the alias as a tag, the ``.deleted`` marker); and files the original archived
(code snapshots, datasets, pretrained weights, outputs: blobs and manifests under
``archive/``) are copied into the run's ``files/``. Paths read from the source's files are
resolved inside the source root only; anything leading elsewhere is reported, not read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runicorn.errors import UnsafePathError
from runicorn.importers import safe_name
from runicorn.importers.run_writer import ImportedRun
from runicorn.legacy import ASSETS_FILE
from runicorn.security.path_validation import (
    read_json_under,
    resolve_under,
    safe_relative_path,
)
from runicorn.storage.events import EVENTS_FILE
from runicorn.storage.layout import iter_run_dirs, validate_run_id
from runicorn.storage.run_files import (
    ENVIRONMENT_FILE,
    LOGS_FILE,
    MEDIA_DIR,
    read_record,
    to_timestamp,
)

DELETED_MARKER = ".deleted"
ARCHIVE_DIR = "archive"
_ASSET_SECTIONS = ("datasets", "pretrained")


@dataclass
class OriginalRun:
    """One run folder of the original SDK."""

    root: Path
    path: Path

    @property
    def source_id(self) -> str:
        return self.path.relative_to(self.root).as_posix()

    @property
    def label(self) -> str:
        return self.source_id

    @property
    def run_id(self) -> str | None:
        try:
            return validate_run_id(self.path.name)
        except ValueError:
            return None

    @property
    def created_at(self) -> float | None:
        meta = read_json_under(self.root, self.path / "meta.json")
        return to_timestamp(meta.get("created_at")) if isinstance(meta, dict) else None

    def read(self, project: str | None) -> ImportedRun:
        record = read_record(self.root, self.path)
        meta = read_json_under(self.root, self.path / "meta.json")
        meta = meta if isinstance(meta, dict) else {}
        assets = read_json_under(self.root, self.path / ASSETS_FILE)
        assets = assets if isinstance(assets, dict) else {}
        run = ImportedRun(
            source="orig",
            source_id=self.source_id,
            project=project or safe_name(record.project, allow_slash=False),
            name=safe_name(record.name),
            created_at=record.created_at,
            ended_at=record.ended_at,
            status="crashed" if record.status == "running" else record.status,
            exit_reason=record.exit_reason,
            config=record.config,
            summary=record.summary,
            tags=record.tags,
            notes=record.notes,
            alias=meta.get("alias") if isinstance(meta.get("alias"), str) else None,
            origin={"path": meta.get("path"), "root": str(self.root)},
        )
        if record.status == "running":
            run.exit_reason = "still marked running when imported"
        events = self.path / EVENTS_FILE
        if events.is_file() and not events.is_symlink():
            run.raw_events = events
        for name in (LOGS_FILE, ENVIRONMENT_FILE, "code_snapshot.zip"):
            self._keep(run, self.path / name, name)
        media = self.path / MEDIA_DIR
        if media.is_dir():
            for file in sorted(media.rglob("*")):
                self._keep(run, file, file.relative_to(self.path).as_posix())
        run.deleted_at = record.deleted_at
        self._archived_files(run, assets)
        return run

    def _keep(self, run: ImportedRun, source: Path, relative: str) -> None:
        if source.is_symlink():
            run.skip("linked files")
        elif source.is_file():
            run.run_files.append((relative, source))

    def _archived_files(self, run: ImportedRun, assets: dict[str, Any]) -> None:
        entries: list[tuple[str, dict[str, Any]]] = []
        for section in _ASSET_SECTIONS:
            for entry in assets.get(section) or []:
                if isinstance(entry, dict):
                    entries.append(
                        (f"{section}/{safe_name(str(entry.get('name')), 'asset')}", entry)
                    )
        snapshot = (assets.get("code") or {}).get("snapshot")
        if isinstance(snapshot, dict):
            entries.append(("code", {**snapshot, "name": "code_snapshot.zip"}))
        outputs = assets.get("outputs")
        for key, entry in outputs.items() if isinstance(outputs, dict) else []:
            if isinstance(entry, dict):
                entries.append((f"outputs/{safe_name(str(key), 'output')}", entry))
        for target, entry in entries:
            archived = entry.get("archive_path")
            if not isinstance(archived, str) or not archived:
                continue
            try:
                self._copy_archived(run, target, archived)
            except (UnsafePathError, ValueError, OSError):
                run.skip("archived files outside the source root or unreadable")

    def _copy_archived(self, run: ImportedRun, target: str, archived: str) -> None:
        """Copy what ``archived`` (a blob, a folder manifest or a folder) holds into ``target``.

        The original wrote absolute paths; only the part under ``archive/`` is trusted, and it
        is resolved inside this source root.
        """
        normalized = archived.replace("\\", "/")
        marker = f"/{ARCHIVE_DIR}/"
        if marker not in normalized:
            raise ValueError(f"{archived} is not inside an archive folder")
        archive = self.root / ARCHIVE_DIR
        located = resolve_under(archive, normalized.split(marker, 1)[1])
        if located.is_dir():
            for file in sorted(located.rglob("*")):
                if file.is_file() and not file.is_symlink() and file.name != ".complete":
                    run.files.append((f"{target}/{file.relative_to(located).as_posix()}", file))
            return
        if (
            located.suffix == ".json"
            and "/manifests/" in f"/{located.relative_to(archive).as_posix()}"
        ):
            manifest = read_json_under(archive, located)
            files = manifest.get("files") if isinstance(manifest, dict) else None
            for relative, info in (files or {}).items():
                sha = info.get("sha256") if isinstance(info, dict) else None
                if not isinstance(sha, str) or len(sha) < 3:
                    continue
                blob = resolve_under(archive, f"blobs/{sha[:2]}/{sha}")
                clean = safe_relative_path(str(relative)).as_posix()
                run.files.append((f"{target}/{clean}", blob))
            return
        run.files.append((f"{target}/{located.name}", located))


def discover(path: Path) -> list[OriginalRun]:
    """Every run folder under the original storage root ``path`` (its archive excluded)."""
    root = path.resolve()
    archive = root / ARCHIVE_DIR
    return [
        OriginalRun(root, run_path)
        for run_path in iter_run_dirs(root)
        if archive not in run_path.parents and not os.path.islink(run_path)
    ]
