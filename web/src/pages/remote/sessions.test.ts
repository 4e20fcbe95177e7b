import { describe, expect, it } from "vitest";
import type { RemoteEnvironment, RemoteViewerSession } from "../../api/types";
import {
  compatibleSpec,
  defaultEnvironment,
  displayUrl,
  environmentProblem,
  sessionOpenable,
  sessionTone,
  sessionUptime,
  sortEnvironments,
  sortSessions,
} from "./sessions";

const env = (python: string, patch: Partial<RemoteEnvironment> = {}): RemoteEnvironment => ({
  python,
  source: "path",
  name: python,
  python_version: "3.11.4",
  runicorn_version: "0.1.0",
  compatible: true,
  error: null,
  ...patch,
});

const session = (patch: Partial<RemoteViewerSession> = {}): RemoteViewerSession => ({
  id: "s",
  state: "running",
  connection_id: "alice@gpu01:22",
  target: "alice@gpu01",
  python: "python3",
  root: "/data/runs",
  local_port: 41873,
  url: "http://127.0.0.1:41873/?token=secret",
  remote_port: 38211,
  remote_pid: 1,
  reconnects: 0,
  viewer_restarts: 0,
  last_error: null,
  created_at: 1000,
  health: { status: "ok" },
  ...patch,
});

describe("viewer sessions", () => {
  it("show the URL without its token", () => {
    expect(displayUrl("http://127.0.0.1:41873/?token=abc")).toBe("http://127.0.0.1:41873/");
    expect(displayUrl("http://127.0.0.1:41873/#x")).toBe("http://127.0.0.1:41873/");
    expect(displayUrl("http://127.0.0.1:1/")).toBe("http://127.0.0.1:1/");
    expect(displayUrl(null)).toBe("");
  });

  it("colour a session by state and health", () => {
    expect(sessionTone(session())).toBe("ok");
    expect(sessionTone(session({ health: null }))).toBe("warn");
    expect(sessionTone(session({ state: "starting" }))).toBe("busy");
    expect(sessionTone(session({ state: "reconnecting" }))).toBe("busy");
    expect(sessionTone(session({ state: "failed" }))).toBe("bad");
    expect(sessionTone(session({ state: "stopped" }))).toBe("idle");
  });

  it("open only live sessions with a URL", () => {
    expect(sessionOpenable(session())).toBe(true);
    expect(sessionOpenable(session({ state: "reconnecting" }))).toBe(true);
    expect(sessionOpenable(session({ url: null }))).toBe(false);
    expect(sessionOpenable(session({ state: "failed" }))).toBe(false);
  });

  it("count uptime and order live sessions first, newest first", () => {
    expect(sessionUptime(session(), 1065)).toBe(65);
    expect(sessionUptime(session(), 900)).toBe(0);
    const ordered = sortSessions([
      session({ id: "old", created_at: 1 }),
      session({ id: "dead", state: "failed", created_at: 9 }),
      session({ id: "new", created_at: 5 }),
    ]);
    expect(ordered.map((s) => s.id)).toEqual(["new", "old", "dead"]);
  });
});

describe("environments", () => {
  const envs = [
    env("/usr/bin/python3", { compatible: false, runicorn_version: null }),
    env("/opt/conda/envs/ml/bin/python", { source: "conda" }),
    env("/opt/conda/bin/python", { source: "conda" }),
  ];

  it("put compatible ones first and keep the server's order", () => {
    expect(sortEnvironments(envs).map((e) => e.python)).toEqual([
      "/opt/conda/envs/ml/bin/python",
      "/opt/conda/bin/python",
      "/usr/bin/python3",
    ]);
  });

  it("preselect the preferred one when it can run the viewer", () => {
    expect(defaultEnvironment(envs)).toBe("/opt/conda/envs/ml/bin/python");
    expect(defaultEnvironment(envs, "/opt/conda/bin/python")).toBe("/opt/conda/bin/python");
    expect(defaultEnvironment(envs, "/usr/bin/python3")).toBe("/opt/conda/envs/ml/bin/python");
    expect(defaultEnvironment([envs[0]])).toBeNull();
  });

  it("say why an environment cannot run the viewer", () => {
    expect(environmentProblem(envs[1])).toBe("ok");
    expect(environmentProblem(envs[0])).toBe("missing");
    expect(environmentProblem(env("p", { compatible: false, runicorn_version: "0.9.0" }))).toBe("version");
    expect(environmentProblem(env("p", { compatible: false, runicorn_version: null, python_version: null, error: "not found" }))).toBe("error");
  });

  it("give the pip spec that matches this viewer", () => {
    expect(compatibleSpec("0.1.0")).toBe("runicorn==0.1.*");
    expect(compatibleSpec("1.4.2")).toBe("runicorn==1.*");
    expect(compatibleSpec(null)).toBe("runicorn");
  });
});
