import { describe, expect, it } from "vitest";
import type { VersionRow } from "../../api/artifacts";
import { metricColumns, promoteTarget } from "./lifecycle";

const row = (version: number, metadata: Record<string, unknown>): VersionRow => ({
  project: "vision",
  name: "resnet18",
  version,
  type: "model",
  digest: "d",
  created_at: 1795000000 + version,
  created_by: null,
  size: 1,
  file_count: 1,
  description: "",
  metadata,
  stage: "none",
  aliases: [],
});

describe("promoteTarget", () => {
  it("moves a version one step towards production", () => {
    expect(promoteTarget("none")).toBe("staging");
    expect(promoteTarget("staging")).toBe("production");
    expect(promoteTarget("archived")).toBe("staging");
    expect(promoteTarget("production")).toBeNull();
  });
});

describe("metricColumns", () => {
  it("prefers the numbers most versions carry, and skips text and nested values", () => {
    const versions = [
      row(3, { "val/acc": 0.93, "val/loss": 0.21, epoch: 30, note: "fine-tuned", "学习率": 3e-4 }),
      row(2, { "val/acc": 0.91, "val/loss": 0.25, epoch: 20 }),
      row(1, { "val/acc": 0.88, optimizer: { name: "adam" }, epoch: 10 }),
    ];
    expect(metricColumns(versions)).toEqual(["epoch", "val/acc", "val/loss"]);
    expect(metricColumns(versions, 5)).toEqual(["epoch", "val/acc", "val/loss", "学习率"]);
    expect(metricColumns([])).toEqual([]);
  });
});
