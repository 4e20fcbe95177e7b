"""The lineage graph: runs and artifact versions, joined by ``used`` and ``produced`` edges.

Edges follow the data: ``version → run`` when a run used a version, ``run → version`` when it
produced one. A walk goes both ways from its start, ``depth`` hops at most, one indexed query
per hop, so a thousand-node graph is a handful of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runicorn.artifacts.interface import ArtifactIndexReader
from runicorn.storage.artifact_index import EdgeRow, VersionKey

DEFAULT_DEPTH = 3
MAX_DEPTH = 50
MAX_NODES = 5000


def version_node_id(key: VersionKey) -> str:
    project, name, version = key
    return f"artifact:{project}/{name}:v{version}"


def run_node_id(run_id: str) -> str:
    return f"run:{run_id}"


@dataclass
class LineageGraph:
    """Nodes and edges in the API's shape (DESIGN §8)."""

    root: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "nodes": list(self.nodes.values()),
            "edges": list(self.edges.values()),
            "truncated": self.truncated,
        }


def lineage(
    index: ArtifactIndexReader,
    *,
    version: VersionKey | None = None,
    run_id: str | None = None,
    depth: int = DEFAULT_DEPTH,
    max_nodes: int = MAX_NODES,
) -> LineageGraph:
    """The graph within ``depth`` hops of a version or a run, in both directions."""
    if (version is None) == (run_id is None):
        raise ValueError("start from exactly one of version= or run_id=")
    depth = max(0, min(depth, MAX_DEPTH))
    start = version_node_id(version) if version else run_node_id(run_id or "")
    graph = LineageGraph(root=start)
    seen_versions: set[VersionKey] = {version} if version else set()
    seen_runs: set[str] = {run_id} if run_id else set()
    frontier_versions = set(seen_versions)
    frontier_runs = set(seen_runs)
    for _ in range(depth):
        edges: list[EdgeRow] = []
        if frontier_versions:
            edges += index.edges_of_versions(frontier_versions)
            for key, row in index.versions_of(frontier_versions).items():
                if row.get("created_by"):
                    edges.append((row["created_by"], *key, "produced"))
        if frontier_runs:
            edges += index.edges_of_runs(frontier_runs)
            edges += index.produced_by_runs(frontier_runs)
        frontier_versions, frontier_runs = set(), set()
        for run, project, name, number, kind in edges:
            key = (project, name, number)
            _add_edge(graph, run, key, kind)
            if key not in seen_versions:
                seen_versions.add(key)
                frontier_versions.add(key)
            if run not in seen_runs:
                seen_runs.add(run)
                frontier_runs.add(run)
        if len(seen_versions) + len(seen_runs) > max_nodes:
            graph.truncated = True
            break
        if not frontier_versions and not frontier_runs:
            break
    _add_nodes(graph, index, seen_versions, seen_runs)
    return graph


def _add_edge(graph: LineageGraph, run_id: str, key: VersionKey, kind: str) -> None:
    run, artifact = run_node_id(run_id), version_node_id(key)
    source, target = (artifact, run) if kind == "used" else (run, artifact)
    graph.edges[(source, target, kind)] = {"from": source, "to": target, "kind": kind}


def _add_nodes(
    graph: LineageGraph, index: ArtifactIndexReader, versions: set[VersionKey], runs: set[str]
) -> None:
    rows = index.versions_of(versions)
    aliases = index.aliases_by_version(versions)
    for key in sorted(versions):
        project, name, number = key
        row = rows.get(key)
        graph.nodes[version_node_id(key)] = {
            "id": version_node_id(key),
            "kind": "artifact",
            "project": project,
            "name": name,
            "version": number,
            "type": row["type"] if row else None,
            "stage": row["stage"] if row else None,
            "aliases": sorted(aliases.get(key, [])),
            "created_at": row["created_at"] if row else None,
            "deleted": row is None,
        }
    summaries = index.runs_summary(runs)
    for run_id in sorted(runs):
        info = summaries.get(run_id, {})
        graph.nodes[run_node_id(run_id)] = {
            "id": run_node_id(run_id),
            "kind": "run",
            "run_id": run_id,
            "project": info.get("project"),
            "name": info.get("name"),
            "status": info.get("status"),
            "created_at": info.get("created_at"),
        }
