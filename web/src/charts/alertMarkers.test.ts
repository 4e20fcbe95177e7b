import { describe, expect, it } from "vitest";
import type { AlertItem } from "../api/types";
import { alertHoverText, alertsForChart } from "./alertMarkers";

function alert(over: Partial<AlertItem>): AlertItem {
  return {
    id: 1, run_id: "20261201_100000_abcdef", ts: 1_796_000_000, rule: "nan_inf", level: "error",
    title: "train/loss is NaN", text: "", key: "train/loss", step: 1200, value: null, source: "sdk",
    project: "vision", name: "resnet50", ...over,
  };
}

describe("alert markers", () => {
  it("marks a metric's own alerts and run-wide ones, on the step axis only", () => {
    const alerts = [
      alert({ id: 1 }),
      alert({ id: 2, key: "val/acc", rule: "threshold" }),
      alert({ id: 3, key: null, rule: "manual", title: "checkpoint" }),
      alert({ id: 4, key: null, rule: "crashed", step: null }),
    ];
    expect(alertsForChart(alerts, "train/loss", "step").map((a) => a.id)).toEqual([1, 3]);
    expect(alertsForChart(alerts, "val/acc", "step").map((a) => a.id)).toEqual([2, 3]);
    expect(alertsForChart(alerts, "train/loss", "time")).toEqual([]);
  });

  it("says what fired, where, and why on hover", () => {
    expect(alertHoverText(alert({ level: "warn", title: "loss spiked to 9.1", text: "7.2 standard deviations" }))).toBe(
      "[warn] loss spiked to 9.1 · step 1200\n7.2 standard deviations",
    );
  });
});
