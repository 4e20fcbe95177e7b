import { describe, expect, it } from "vitest";
import type { SyncJob, SyncReport } from "../../api/sync";
import { bytesPercent, isActive, problemLines } from "./syncProgress";

const report = (over: Partial<SyncReport> = {}): SyncReport => ({
  source: "alice@gpu01:/data/runs",
  destination: "/home/alice/RunicornData",
  passes: 1,
  runs_seen: 3,
  runs_new: [],
  runs_updated: [],
  conflicts: [],
  refused: [],
  errors: [],
  bytes_moved: 0,
  seconds: 0.2,
  notes: [],
  ok: true,
  ...over,
});

const job = (over: Partial<SyncJob> = {}): SyncJob => ({
  id: "a1",
  source: "alice@gpu01:/data/runs",
  destination: "/home/alice/RunicornData",
  watch: null,
  state: "running",
  error: null,
  started_at: 0,
  ended_at: null,
  progress: { bytes_done: 0, bytes_total: 0, runs_done: 0, runs_total: 0 },
  total: report(),
  last_pass: null,
  ...over,
});

describe("sync progress", () => {
  it("polls running and watching jobs only", () => {
    expect(isActive(job())).toBe(true);
    expect(isActive(job({ state: "watching" }))).toBe(true);
    expect(isActive(job({ state: "finished" }))).toBe(false);
    expect(isActive(null)).toBe(false);
  });

  it("shows bytes moved of those planned, and a full bar once nothing was left to move", () => {
    expect(bytesPercent(job({ progress: { bytes_done: 512, bytes_total: 2048, runs_done: 1, runs_total: 3 } }))).toBe(25);
    expect(bytesPercent(job())).toBeNull();
    expect(bytesPercent(job({ state: "finished" }))).toBe(100);
  });

  it("lists conflicts with the word conflict, then refused paths and errors", () => {
    const lines = problemLines(
      job({
        state: "finished",
        last_pass: report({
          conflicts: [{ item: "run 20261201_101500_ab12cd", reason: "meta.json differs in created_at" }],
          refused: ["run '..': path leaves its folder"],
        }),
      }),
    );
    expect(lines).toEqual([
      "conflict: run 20261201_101500_ab12cd: meta.json differs in created_at",
      "refused: run '..': path leaves its folder",
    ]);
  });
});
