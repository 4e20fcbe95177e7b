"""What the API and the CLI show of the store: pages of artifacts and versions, one version
with its producer and consumers, a run's artifacts, registered models.

Lists come from the index (fast at thousands of versions), first brought up to date with
artifact folders that changed since the last look; one version's detail comes from its file
(the truth).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runicorn.artifacts.interface import ArtifactCatalog
from runicorn.artifacts.lineage import lineage
from runicorn.artifacts.models import LATEST, MODEL_TYPE, ArtifactVersion
from runicorn.errors import ArtifactNotFoundError

# How stale a list may be about changes made behind the index (another process's writes
# update the index themselves; this covers copied or synced folders).
REFRESH_INTERVAL = 1.0


def list_artifacts(
    store: ArtifactCatalog,
    *,
    project: str | None = None,
    type: str | None = None,
    name: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """``{"items", "total"}``: artifacts, newest change first, with their aliases."""
    store.refresh_index(REFRESH_INTERVAL)
    items, total = store.index.list_artifacts(
        project=project, type=type, name=name, limit=limit, offset=offset
    )
    for item in items:
        item["aliases"] = store.index.aliases_of(item["project"], item["name"])
        item["aliases"][LATEST] = item["latest_version"]
    return {"items": items, "total": total}


def list_versions(
    store: ArtifactCatalog, project: str, name: str, *, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """``{"items", "total", ...}``: one artifact's versions, newest first."""
    store.refresh_index(REFRESH_INTERVAL)
    items, total = store.index.list_versions(project, name, limit=limit, offset=offset)
    if total == 0:
        store.resolve(project, name)  # the index may lag: the files decide what is missing
        items, total = _versions_from_files(store, project, name, limit, offset)
    aliases = store.index.aliases_of(project, name)
    by_version: dict[int, list[str]] = {}
    for alias, number in sorted(aliases.items()):
        by_version.setdefault(number, []).append(alias)
    latest = max((item["version"] for item in items), default=None) if offset == 0 else None
    for item in items:
        item["aliases"] = ([LATEST] if item["version"] == latest else []) + by_version.get(
            item["version"], []
        )
    kind = items[0]["type"] if items else None
    return {"project": project, "name": name, "type": kind, "items": items, "total": total}


def _versions_from_files(
    store: ArtifactCatalog, project: str, name: str, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    numbers = sorted(store.version_numbers(project, name), reverse=True)
    page = numbers[offset : offset + limit]
    items = []
    for number in page:
        version = store.resolve(project, name, str(number))
        document = version.file_document()
        document.pop("files")
        items.append({**document, "file_count": len(version.files), "stage": version.stage})
    return items, len(numbers)


def _run_info(store: ArtifactCatalog, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    known = store.index.runs_summary(run_ids)
    return {
        run_id: {
            "run_id": run_id,
            "project": known.get(run_id, {}).get("project"),
            "name": known.get(run_id, {}).get("name"),
            "status": known.get(run_id, {}).get("status"),
            "created_at": known.get(run_id, {}).get("created_at"),
        }
        for run_id in run_ids
    }


def version_detail(
    store: ArtifactCatalog, project: str, name: str, selector: str
) -> dict[str, Any]:
    """One version: files with sizes, metadata, aliases, stage, producer and consumers."""
    version = store.resolve(project, name, selector)
    key = (version.project, version.name, version.version)
    edges = store.index.edges_of_versions([key])
    consumers = sorted({run for run, *_, kind in edges if kind == "used"})
    producers = [version.created_by] if version.created_by else []
    producers += sorted({run for run, *_, kind in edges if kind == "produced"} - set(producers))
    runs = _run_info(store, [*producers, *consumers])
    return {
        **version.to_dict(),
        "producer": runs[producers[0]] if producers else None,
        "consumers": [runs[run] for run in consumers],
    }


def version_summary(version: ArtifactVersion) -> dict[str, Any]:
    """A version without its file list (for lists of a run's artifacts)."""
    document = version.to_dict()
    document["file_count"] = len(document.pop("files"))
    return document


def run_artifacts(store: ArtifactCatalog, run_path: Path, run_project: str) -> dict[str, Any]:
    """``{"used": [...], "produced": [...]}`` for one run."""
    found = store.run_artifacts(run_path, run_project)
    return {
        "used": [version_summary(v) for v in found.used],
        "produced": [version_summary(v) for v in found.produced],
    }


def version_lineage(
    store: ArtifactCatalog, project: str, name: str, selector: str, depth: int
) -> dict[str, Any]:
    """The lineage graph around one version."""
    version = store.resolve(project, name, selector)
    graph = lineage(
        store.index, version=(version.project, version.name, version.version), depth=depth
    )
    return graph.to_dict()


def run_lineage(store: ArtifactCatalog, run_id: str, depth: int) -> dict[str, Any]:
    """The lineage graph around one run."""
    return lineage(store.index, run_id=run_id, depth=depth).to_dict()


def list_models(
    store: ArtifactCatalog, *, project: str | None = None, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """``{"items", "total"}``: artifacts of type ``model`` with stage counts."""
    store.refresh_index(REFRESH_INTERVAL)
    items, total = store.index.models(project=project, limit=limit, offset=offset)
    return {"items": items, "total": total}


def model_detail(
    store: ArtifactCatalog, project: str, name: str, *, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """A registered model: its versions with stages and aliases, and its recent history."""
    versions = list_versions(store, project, name, limit=limit, offset=offset)
    if versions["type"] != MODEL_TYPE:
        raise ArtifactNotFoundError(
            f"{project}/{name} is an artifact of type {versions['type']!r}, not a model"
        )
    stages = store.stages(project, name)
    production = [number for number, stage in stages.items() if stage == "production"]
    return {
        **versions,
        "production_version": max(production) if production else None,
        "history": [t.to_dict() for t in store.history(project, name)[-50:]],
    }


def model_history(store: ArtifactCatalog, project: str, name: str) -> dict[str, Any]:
    """Every stage transition of a model, newest first."""
    store.resolve(project, name)
    items = [t.to_dict() for t in reversed(store.history(project, name))]
    return {"items": items, "total": len(items)}
