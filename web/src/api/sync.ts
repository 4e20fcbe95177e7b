/**
 * Pulling a remote storage root into this viewer's root (`/api/remote/sync`, docs/api.md
 * "Remote"). A job runs on the server; the UI polls it for progress and its report.
 */
import { request } from "./client";
import type { ListResponse } from "./types";

const enc = encodeURIComponent;

export interface SyncStartRequest {
  connection_id: string;
  remote_root?: string;
  python?: string;
  /** Seconds between passes; absent or null syncs once. */
  watch?: number | null;
  project?: string | null;
  since?: string | null;
  dry_run?: boolean;
}

export interface SyncConflict {
  item: string;
  reason: string;
}

export interface SyncReport {
  source: string;
  destination: string;
  passes: number;
  runs_seen: number;
  runs_new: string[];
  runs_updated: string[];
  conflicts: SyncConflict[];
  refused: string[];
  errors: string[];
  bytes_moved: number;
  seconds: number;
  notes: string[];
  ok: boolean;
}

export type SyncState = "running" | "watching" | "finished" | "stopped" | "failed";

export interface SyncJob {
  id: string;
  source: string;
  destination: string;
  watch: number | null;
  state: SyncState;
  error: string | null;
  started_at: number;
  ended_at: number | null;
  progress: { bytes_done: number; bytes_total: number; runs_done: number; runs_total: number };
  total: SyncReport;
  last_pass: SyncReport | null;
}

export const syncApi = {
  start: (body: SyncStartRequest) => request<SyncJob>("/api/remote/sync", { method: "POST", body }),
  get: (id: string, signal?: AbortSignal) => request<SyncJob>(`/api/remote/sync/${enc(id)}`, { signal }),
  list: (signal?: AbortSignal) => request<ListResponse<SyncJob>>("/api/remote/sync", { signal }),
  stop: (id: string) => request<SyncJob>(`/api/remote/sync/${enc(id)}/stop`, { method: "POST" }),
};
