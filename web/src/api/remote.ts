/**
 * The remote-viewing calls (`/api/remote/*`, docs/api.md "Remote"). They answer loopback
 * clients only. Secrets go out in request bodies (connect, save) and never come back.
 */
import { request } from "./client";
import type {
  HostKeyAccepted,
  ListResponse,
  RemoteConnectRequest,
  RemoteConnection,
  RemoteEnvironment,
  RemoteFsExists,
  RemoteFsListing,
  RemoteStatus,
  RemoteViewerSession,
  SaveConnectionRequest,
  SavedConnection,
} from "./types";

const enc = encodeURIComponent;

export interface ViewerStartRequest {
  connection_id: string;
  python?: string;
  root?: string | null;
  local_port?: number;
  idle_timeout?: number;
}

export const remoteApi = {
  connect: (body: RemoteConnectRequest) =>
    request<RemoteConnection>("/api/remote/connect", { method: "POST", body }),

  acceptHostKey: (body: { host: string; port: number; fingerprint: string }) =>
    request<HostKeyAccepted>("/api/remote/host-keys/accept", { method: "POST", body }),

  disconnect: (connectionId: string) =>
    request<{ disconnected: string; stopped_sessions: string[] }>("/api/remote/disconnect", {
      method: "POST",
      body: { connection_id: connectionId },
    }),

  connections: (signal?: AbortSignal) =>
    request<ListResponse<RemoteConnection>>("/api/remote/sessions", { signal }),

  /** `python` lists extra interpreters to probe besides conda envs and PATH. */
  environments: (connectionId: string, python: string[] = [], signal?: AbortSignal) => {
    const params = new URLSearchParams({ connection_id: connectionId });
    for (const p of python) params.append("python", p);
    return request<ListResponse<RemoteEnvironment>>(`/api/remote/environments?${params.toString()}`, { signal });
  },

  startViewer: (body: ViewerStartRequest) =>
    request<RemoteViewerSession>("/api/remote/viewer/start", { method: "POST", body }),

  stopViewer: (sessionId: string) =>
    request<{ stopped: string; remote_viewer_gone: boolean; state: string }>("/api/remote/viewer/stop", {
      method: "POST",
      body: { session_id: sessionId },
    }),

  viewerSessions: (signal?: AbortSignal) =>
    request<ListResponse<RemoteViewerSession>>("/api/remote/viewer/sessions", { signal }),

  listDir: (connectionId: string, path: string, showHidden: boolean, signal?: AbortSignal) =>
    request<RemoteFsListing>("/api/remote/fs/list", {
      query: { connection_id: connectionId, path, show_hidden: showHidden },
      signal,
    }),

  exists: (connectionId: string, path: string, signal?: AbortSignal) =>
    request<RemoteFsExists>("/api/remote/fs/exists", { query: { connection_id: connectionId, path }, signal }),

  status: (connectionId: string, q: { python?: string; root?: string | null }, signal?: AbortSignal) =>
    request<RemoteStatus>("/api/remote/status", {
      query: { connection_id: connectionId, python: q.python, root: q.root },
      signal,
    }),

  saved: (signal?: AbortSignal) => request<ListResponse<SavedConnection>>("/api/remote/saved", { signal }),

  save: (body: SaveConnectionRequest) =>
    request<SavedConnection>("/api/remote/saved", { method: "POST", body }),

  deleteSaved: (id: string) =>
    request<{ deleted: string }>(`/api/remote/saved/${enc(id)}`, { method: "DELETE" }),
};
