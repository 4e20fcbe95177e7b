/** Viewer sessions and remote Python environments: labels, ordering and defaults. */
import type { RemoteEnvironment, RemoteViewerSession, ViewerSessionState } from "../../api/types";

/** The session URL without its query (the token): safe to show on a shared screen. */
export function displayUrl(url: string | null | undefined): string {
  if (!url) return "";
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : url.slice(0, cut);
}

export type SessionTone = "ok" | "busy" | "warn" | "bad" | "idle";

/** The colour of a session's badge: running and answering its health check is the only "ok". */
export function sessionTone(session: Pick<RemoteViewerSession, "state" | "health">): SessionTone {
  const state: ViewerSessionState = session.state;
  if (state === "running") return session.health?.status === "ok" ? "ok" : "warn";
  if (state === "starting" || state === "reconnecting") return "busy";
  if (state === "failed") return "bad";
  return "idle";
}

/** Whether the tunnel URL can be opened now. */
export function sessionOpenable(session: Pick<RemoteViewerSession, "state" | "url">): boolean {
  return Boolean(session.url) && (session.state === "running" || session.state === "reconnecting");
}

/** Seconds since the session started (never negative, whatever the clocks say). */
export function sessionUptime(session: Pick<RemoteViewerSession, "created_at">, now: number): number {
  return Math.max(0, now - session.created_at);
}

/** Live sessions first, then newest first. */
export function sortSessions(sessions: readonly RemoteViewerSession[]): RemoteViewerSession[] {
  const rank = (s: RemoteViewerSession) => (s.state === "stopped" || s.state === "failed" ? 1 : 0);
  return [...sessions].sort((a, b) => rank(a) - rank(b) || b.created_at - a.created_at);
}

/** Compatible environments first, keeping the server's order within each group. */
export function sortEnvironments(envs: readonly RemoteEnvironment[]): RemoteEnvironment[] {
  return [...envs].sort((a, b) => Number(b.compatible) - Number(a.compatible));
}

/** The interpreter to preselect: `preferred` when it is compatible, else the first compatible. */
export function defaultEnvironment(envs: readonly RemoteEnvironment[], preferred?: string | null): string | null {
  if (preferred) {
    const match = envs.find((e) => e.python === preferred && e.compatible);
    if (match) return match.python;
  }
  return envs.find((e) => e.compatible)?.python ?? null;
}

export type EnvProblem = "ok" | "missing" | "version" | "error";

/** Why an environment cannot run the viewer: no Runicorn, another version, or a probe error. */
export function environmentProblem(env: RemoteEnvironment): EnvProblem {
  if (env.compatible) return "ok";
  if (env.runicorn_version) return "version";
  // The interpreter answered (it has a version) but could not import runicorn.
  if (env.python_version) return "missing";
  return "error";
}

/** The `pip install` spec matching this viewer's version (same major, same minor for 0.x). */
export function compatibleSpec(localVersion: string | null | undefined): string {
  const parts = (localVersion ?? "").split(".").map((p) => parseInt(p, 10));
  const major = parts.at(0);
  const minor = parts.at(1);
  if (major === undefined || Number.isNaN(major)) return "runicorn";
  if (major === 0 && minor !== undefined && !Number.isNaN(minor)) return `runicorn==0.${minor}.*`;
  return `runicorn==${major}.*`;
}
