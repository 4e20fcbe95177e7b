/** The artifacts, version and models pages' state in the query string (defaults left out). */
import { VERSION_TABS, type VersionTab } from "./links";

export const DEFAULT_DEPTH = 3;
export const MAX_DEPTH = 50;

function build(entries: [string, string | null][]): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of entries) if (value !== null && value !== "") params.set(key, value);
  return params;
}

function positiveInt(value: string | null, fallback: number): number {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n >= 1 ? n : fallback;
}

export interface ArtifactsListState {
  project: string | null;
  type: string | null;
  /** Part of the name, any case. */
  search: string;
  /** 1-based. */
  page: number;
}

export function decodeArtifactsList(params: URLSearchParams): ArtifactsListState {
  return {
    project: params.get("project") || null,
    type: params.get("type") || null,
    search: params.get("q") ?? "",
    page: positiveInt(params.get("page"), 1),
  };
}

export function encodeArtifactsList(state: ArtifactsListState): URLSearchParams {
  return build([
    ["project", state.project],
    ["type", state.type],
    ["q", state.search],
    ["page", state.page > 1 ? String(state.page) : null],
  ]);
}

export interface VersionPageState {
  tab: VersionTab;
  /** Lineage hops each way. */
  depth: number;
}

export function parseDepth(value: string | null): number {
  const n = Number(value);
  if (value === null || value === "" || !Number.isInteger(n)) return DEFAULT_DEPTH;
  return Math.min(MAX_DEPTH, Math.max(0, n));
}

export function decodeVersionPage(params: URLSearchParams): VersionPageState {
  const tab = params.get("tab") as VersionTab | null;
  return {
    tab: tab && VERSION_TABS.includes(tab) ? tab : "files",
    depth: parseDepth(params.get("depth")),
  };
}

export function encodeVersionPage(state: VersionPageState): URLSearchParams {
  return build([
    ["tab", state.tab === "files" ? null : state.tab],
    ["depth", state.depth === DEFAULT_DEPTH ? null : String(state.depth)],
  ]);
}

export interface ModelsListState {
  project: string | null;
  page: number;
}

export function decodeModelsList(params: URLSearchParams): ModelsListState {
  return { project: params.get("project") || null, page: positiveInt(params.get("page"), 1) };
}

export function encodeModelsList(state: ModelsListState): URLSearchParams {
  return build([
    ["project", state.project],
    ["page", state.page > 1 ? String(state.page) : null],
  ]);
}

export interface PagedState {
  page: number;
}

export function decodePaged(params: URLSearchParams): PagedState {
  return { page: positiveInt(params.get("page"), 1) };
}

export function encodePaged(state: PagedState): URLSearchParams {
  return build([["page", state.page > 1 ? String(state.page) : null]]);
}
