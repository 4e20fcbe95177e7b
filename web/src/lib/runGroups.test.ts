import { describe, expect, it } from "vitest";
import type { RunItem } from "../api/types";
import { GROUP_PALETTE } from "./groupPalette";
import { colorAt } from "./palette";
import { chartLines, groupableConfigKeys, groupValue } from "./runGroups";

function run(id: string, tags: string[], config: RunItem["config"], status: RunItem["status"] = "finished"): RunItem {
  return { id, project: "vision", name: `vit-${id}`, status, created_at: 0, ended_at: 1, duration: 1, tags, notes: "", config, summary: {}, metrics: {} };
}

const runs = [
  run("a", ["mixup", "baseline"], { 学习率: 3e-4, "weight decay": 0.01, optimizer: { betas: [0.9, 0.999] } }),
  run("b", ["baseline"], { 学习率: 1e-3, "weight decay": 0.01, optimizer: { betas: [0.9, 0.999] } }, "crashed"),
  run("c", [], { 学习率: 3e-4, "weight decay": 0.01, optimizer: { betas: [0.9, 0.98] } }),
  run("d", ["baseline", "mixup"], { 学习率: 3e-4, "weight decay": 0.01 }),
];

describe("groupValue", () => {
  it("reads tags as a sorted set, status, name and nested or unicode config keys", () => {
    expect(runs.map((r) => groupValue(r, "@tags"))).toEqual(["baseline, mixup", "baseline", "—", "baseline, mixup"]);
    expect(groupValue(runs[1], "@status")).toBe("crashed");
    expect(groupValue(runs[0], "学习率")).toBe("3e-4");
    expect(groupValue(runs[0], "optimizer.betas")).toBe("[0.9,0.999]");
    expect(groupValue(runs[3], "optimizer.betas")).toBe("—");
  });
});

describe("chartLines", () => {
  it("draws one line per run in the runs' colours without grouping", () => {
    const { mode, lines } = chartLines(runs, null, (id) => colorAt(runs.findIndex((r) => r.id === id)));
    expect(mode).toBe("runs");
    expect(lines.map((l) => [l.label, l.color, l.members])).toEqual(runs.map((r, i) => [r.name, colorAt(i), [r.id]]));
  });

  it("draws one line per group, in name order, from the group palette", () => {
    const { mode, lines } = chartLines(runs, "@tags", () => "#000");
    expect(mode).toBe("groups");
    expect(lines.map((l) => [l.label, l.members])).toEqual([
      ["tags=baseline", ["b"]],
      ["tags=baseline, mixup", ["a", "d"]],
      ["tags=—", ["c"]],
    ]);
    expect(lines.map((l) => l.color)).toEqual(GROUP_PALETTE.slice(0, 3));
    const runColors = new Set(runs.map((_, i) => colorAt(i)));
    expect(lines.some((l) => runColors.has(l.color))).toBe(false);
  });

  it("groups by a config key", () => {
    const { lines } = chartLines(runs, "学习率", () => "#000");
    expect(lines.map((l) => [l.label, l.members.length])).toEqual([
      ["学习率=3e-4", 3],
      ["学习率=0.001", 1],
    ]);
  });
});

describe("groupableConfigKeys", () => {
  it("offers the keys whose values differ first", () => {
    const keys = groupableConfigKeys(runs);
    expect(keys.slice(0, 2).sort()).toEqual(["optimizer.betas", "学习率"].sort());
    expect(keys).toContain("weight decay");
  });
});
