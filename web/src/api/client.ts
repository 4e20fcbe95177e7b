/**
 * Every HTTP call the UI makes, typed per docs/api.md. URLs are same-origin and relative: the
 * viewer serves both the UI and the API (in development, Vite proxies /api to the viewer).
 */
import type {
  BatchMetricsResponse,
  ChartDefaults,
  ExperimentsQuery,
  FieldsResponse,
  GpuResponse,
  Health,
  ListResponse,
  LogsChunk,
  MetricsQuery,
  MetricsResponse,
  Preferences,
  ProjectItem,
  RunDetail,
  RunItem,
  SeriesPayload,
  V2ListResponse,
  ViewerConfig,
} from "./types";
import { onUnauthorized } from "../pages/login/session";

/** An API failure: the HTTP status, the server's `detail`, and for filter errors the position. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly position: number | null;
  /** The whole JSON error body, for answers with more fields (the remote API's `reason`, ...). */
  readonly body: unknown;

  constructor(status: number, detail: string, position: number | null = null, body: unknown = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.position = position;
    this.body = body;
  }
}

/** A list value becomes one parameter per item (`keys=a&keys=b`), so items may hold commas. */
type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly string[]) params.append(key, item);
    } else {
      params.set(key, String(value));
    }
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** FastAPI sends `detail` as a string, or as a list of validation errors for a 422. */
function detailText(detail: unknown, fallback: string): string {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d: unknown) => {
        if (d && typeof d === "object" && "msg" in d) {
          const loc = "loc" in d && Array.isArray(d.loc) ? d.loc.join(".") : "";
          return loc ? `${loc}: ${String(d.msg)}` : String(d.msg);
        }
        return JSON.stringify(d);
      })
      .join("; ");
  }
  return fallback;
}

async function toApiError(response: Response): Promise<ApiError> {
  const fallback = `${response.status} ${response.statusText || "error"}`;
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object") {
      const detail = "detail" in body ? detailText(body.detail, fallback) : fallback;
      const position = "position" in body && typeof body.position === "number" ? body.position : null;
      return new ApiError(response.status, detail, position, body);
    }
  } catch {
    // Not JSON (a proxy error page, say): the status line is all there is.
  }
  return new ApiError(response.status, fallback);
}

interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const init: RequestInit = {
    method: options.method ?? "GET",
    headers,
    signal: options.signal ?? null,
    credentials: "same-origin",
  };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), init);
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "The viewer could not be reached. Is `runicorn viewer` still running?");
  }
  if (response.status === 401) onUnauthorized(path);
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const enc = encodeURIComponent;

/** The per-run metrics payload keyed by run id, as the compare view consumes it. */
export type BatchMetrics = Record<string, Record<string, SeriesPayload>>;

function metricsQuery(q: MetricsQuery): Query {
  return {
    keys: q.keys,
    x: q.x,
    start: q.start,
    end: q.end,
    max_points: q.maxPoints,
  };
}

export const api = {
  health: (signal?: AbortSignal) => request<Health>("/api/health", { signal }),

  projects: (signal?: AbortSignal) => request<ListResponse<ProjectItem>>("/api/projects", { signal }),

  experiments: (q: ExperimentsQuery, signal?: AbortSignal) =>
    request<V2ListResponse<RunItem>>("/api/v2/experiments", {
      query: { filter: q.filter, sort: q.sort, limit: q.limit, offset: q.offset },
      signal,
    }),

  fields: (signal?: AbortSignal) => request<FieldsResponse>("/api/v2/fields", { signal }),

  run: (id: string, signal?: AbortSignal) => request<RunDetail>(`/api/runs/${enc(id)}`, { signal }),

  updateRun: (id: string, patch: { tags?: string[]; notes?: string }) =>
    request<RunItem>(`/api/runs/${enc(id)}`, { method: "PATCH", body: patch }),

  deleteRuns: (ids: string[]) =>
    request<{ deleted: string[]; missing: string[] }>("/api/runs/delete", {
      method: "POST",
      body: { ids },
    }),

  recycleBin: (q: { limit?: number; offset?: number }, signal?: AbortSignal) =>
    request<ListResponse<RunItem>>("/api/recycle-bin", { query: q, signal }),

  restoreRuns: (ids: string[]) =>
    request<{ restored: string[]; missing: string[] }>("/api/recycle-bin/restore", {
      method: "POST",
      body: { ids },
    }),

  purgeRun: (id: string) =>
    request<{ purged: string[] }>(`/api/recycle-bin/${enc(id)}`, { method: "DELETE" }),

  emptyRecycleBin: () => request<{ purged: string[] }>("/api/recycle-bin/empty", { method: "POST" }),

  logs: (id: string, q: { offset?: number; limit?: number }, signal?: AbortSignal) =>
    request<LogsChunk>(`/api/runs/${enc(id)}/logs`, { query: q, signal }),

  logsDownloadUrl: (id: string) => `/api/runs/${enc(id)}/logs/download`,

  mediaUrl: (id: string, path: string) => {
    // Media events record "media/<file>"; the route serves paths under the media folder.
    const rel = path.replace(/^\/?media\//, "");
    return `/api/runs/${enc(id)}/media/${rel.split("/").map(enc).join("/")}`;
  },

  metrics: (id: string, q: MetricsQuery, signal?: AbortSignal) =>
    request<MetricsResponse>(`/api/metrics/${enc(id)}`, { query: metricsQuery(q), signal }),

  async batchMetrics(ids: string[], q: MetricsQuery, signal?: AbortSignal): Promise<BatchMetrics> {
    const body = await request<BatchMetricsResponse>("/api/v2/metrics", {
      method: "POST",
      body: {
        ids,
        keys: q.keys ?? null,
        x: q.x ?? "step",
        start: q.start ?? null,
        end: q.end ?? null,
        max_points: q.maxPoints,
      },
      signal,
    });
    return Object.fromEntries(Object.entries(body.runs).map(([id, run]) => [id, run.series]));
  },

  config: (signal?: AbortSignal) => request<ViewerConfig>("/api/config", { signal }),

  saveChartDefaults: (chartDefaults: Partial<ChartDefaults>) =>
    request<ViewerConfig>("/api/config", { method: "PUT", body: { chart_defaults: chartDefaults } }),

  gpu: (signal?: AbortSignal) => request<GpuResponse>("/api/gpu", { signal }),

  preferences: (signal?: AbortSignal) =>
    request<{ preferences: Preferences }>("/api/ui-preferences", { signal }),

  savePreferences: (preferences: Preferences) =>
    request<{ preferences: Preferences }>("/api/ui-preferences", {
      method: "PUT",
      body: { preferences },
    }),
};

/** The text to show for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
