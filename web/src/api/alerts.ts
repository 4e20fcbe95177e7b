/** The alert routes: one run's alerts, and alerts across runs (newest first, paged). */
import { request } from "./client";
import type { AlertItem, AlertLevel, ListResponse } from "./types";

export interface AlertsQuery {
  since?: number;
  level?: AlertLevel | "";
  project?: string;
  limit?: number;
  offset?: number;
}

export const alertsApi = {
  ofRun: (runId: string, signal?: AbortSignal) =>
    request<ListResponse<AlertItem>>(`/api/runs/${encodeURIComponent(runId)}/alerts`, {
      query: { limit: 1000 },
      signal,
    }),

  list: (q: AlertsQuery, signal?: AbortSignal) =>
    request<ListResponse<AlertItem>>("/api/alerts", {
      query: { since: q.since, level: q.level || undefined, project: q.project || undefined, limit: q.limit, offset: q.offset },
      signal,
    }),
};
