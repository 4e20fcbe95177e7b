/**
 * The artifact, lineage and model-lifecycle calls (docs/api.md "Artifacts, lineage and models").
 * `ver` is anything the server resolves: `3`, `v3`, `latest` or an alias.
 */
import { request } from "./client";
import type { ListResponse, RunStatus } from "./types";

export type Stage = "none" | "staging" | "production" | "archived";
export const STAGES: readonly Stage[] = ["none", "staging", "production", "archived"];

/** One artifact in the list: its newest version and the aliases across its versions. */
export interface ArtifactItem {
  project: string;
  name: string;
  type: string;
  latest_version: number;
  version_count: number;
  size: number;
  description: string;
  updated_at: number;
  aliases: Record<string, number>;
}

export interface FileEntry {
  sha256: string;
  size: number;
}

/** A version as lists show it (no files, a file count). */
export interface VersionRow {
  project: string;
  name: string;
  version: number;
  type: string;
  digest: string;
  created_at: number;
  created_by: string | null;
  size: number;
  file_count: number;
  description: string;
  metadata: Record<string, unknown>;
  stage: Stage;
  aliases: string[];
}

export interface RunRef {
  run_id: string;
  project: string;
  name: string;
  status: RunStatus;
  created_at: number;
}

export interface ArtifactReference {
  uri: string;
  name?: string;
  [key: string]: unknown;
}

export interface VersionDetail extends Omit<VersionRow, "file_count"> {
  files: Record<string, FileEntry>;
  references: ArtifactReference[];
  producer: RunRef | null;
  consumers: RunRef[];
}

export interface VersionsPage {
  project: string;
  name: string;
  type: string;
  items: VersionRow[];
  total: number;
}

export interface LineageArtifactNode {
  id: string;
  kind: "artifact";
  project: string;
  name: string;
  version: number;
  type: string;
  stage: Stage;
  aliases: string[];
  created_at: number | null;
  deleted: boolean;
}

export interface LineageRunNode {
  id: string;
  kind: "run";
  run_id: string;
  project: string | null;
  name: string | null;
  status: RunStatus | null;
  created_at: number | null;
}

export type LineageNode = LineageArtifactNode | LineageRunNode;

export interface LineageEdge {
  from: string;
  to: string;
  kind: "used" | "produced";
}

export interface LineageGraph {
  root: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
  truncated: boolean;
}

export interface RunArtifacts {
  used: VersionRow[];
  produced: VersionRow[];
}

export interface ModelItem extends ArtifactItem {
  stages: Partial<Record<Stage, number>>;
  production_version: number | null;
}

export interface Transition {
  ts: number;
  version: number;
  from: Stage;
  to: Stage;
  reason: string;
  by: string | null;
}

export interface ModelDetail extends VersionsPage {
  production_version: number | null;
  /** The last 50 transitions, oldest first. */
  history: Transition[];
}

export interface TransitionResult {
  version: number;
  stage: Stage;
  transitions: Transition[];
}

export interface ArtifactsQuery {
  project?: string | null;
  type?: string | null;
  name?: string | null;
  limit?: number;
  offset?: number;
}

const enc = encodeURIComponent;

function artifactPath(project: string, name: string): string {
  return `/api/artifacts/${enc(project)}/${enc(name)}`;
}

function versionPath(project: string, name: string, ver: string | number): string {
  return `${artifactPath(project, name)}/${enc(String(ver))}`;
}

function modelPath(project: string, name: string): string {
  return `/api/model-lifecycle/models/${enc(project)}/${enc(name)}`;
}

export const artifactsApi = {
  list: (q: ArtifactsQuery, signal?: AbortSignal) =>
    request<ListResponse<ArtifactItem>>("/api/artifacts", {
      query: { project: q.project, type: q.type, name: q.name, limit: q.limit, offset: q.offset },
      signal,
    }),

  versions: (project: string, name: string, q: { limit?: number; offset?: number }, signal?: AbortSignal) =>
    request<VersionsPage>(artifactPath(project, name), { query: q, signal }),

  version: (project: string, name: string, ver: string | number, signal?: AbortSignal) =>
    request<VersionDetail>(versionPath(project, name, ver), { signal }),

  /** Exactly these aliases on the version (`latest` is the server's and is ignored). */
  setAliases: (project: string, name: string, ver: string | number, aliases: string[]) =>
    request<VersionDetail>(`${versionPath(project, name, ver)}/aliases`, { method: "PUT", body: { aliases } }),

  deleteVersion: (project: string, name: string, ver: string | number) =>
    request<{ deleted: { project: string; name: string; version: number } }>(versionPath(project, name, ver), {
      method: "DELETE",
    }),

  lineage: (project: string, name: string, ver: string | number, depth: number, signal?: AbortSignal) =>
    request<LineageGraph>(`${versionPath(project, name, ver)}/lineage`, { query: { depth }, signal }),

  fileUrl: (project: string, name: string, version: number, path: string) =>
    `${versionPath(project, name, version)}/files/${path.split("/").map(enc).join("/")}`,

  zipUrl: (project: string, name: string, version: number) => `${versionPath(project, name, version)}/download`,

  runArtifacts: (runId: string, signal?: AbortSignal) =>
    request<RunArtifacts>(`/api/experiments/${enc(runId)}/artifacts`, { signal }),

  runLineage: (runId: string, depth: number, signal?: AbortSignal) =>
    request<LineageGraph>(`/api/experiments/${enc(runId)}/lineage`, { query: { depth }, signal }),

  models: (q: { project?: string | null; limit?: number; offset?: number }, signal?: AbortSignal) =>
    request<ListResponse<ModelItem>>("/api/model-lifecycle/models", { query: q, signal }),

  model: (project: string, name: string, signal?: AbortSignal) =>
    request<ModelDetail>(modelPath(project, name), { query: { limit: 500 }, signal }),

  transition: (
    project: string,
    name: string,
    ver: string | number,
    body: { stage: Stage; reason: string; archive_previous?: boolean },
  ) =>
    request<TransitionResult>(`${modelPath(project, name)}/versions/${enc(String(ver))}/transition`, {
      method: "POST",
      body,
    }),

  history: (project: string, name: string, signal?: AbortSignal) =>
    request<ListResponse<Transition>>(`${modelPath(project, name)}/history`, { signal }),
};
