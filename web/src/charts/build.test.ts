import { describe, expect, it } from "vitest";
import { chartX, compareColumns, compareSeries, runColumns, runIndices, seriesOfColumns, typicalDx, type CompareLine } from "./build";
import { toSeriesData } from "./metricsStore";

const NONE = { strength: 0, window: 0 };

describe("chartX", () => {
  it("draws system series against relative time unless the page uses time", () => {
    expect(chartX("system/cpu", "step", undefined)).toBe("relative");
    expect(chartX("system/cpu", "time", undefined)).toBe("time");
    expect(chartX("loss", "step", undefined)).toBe("step");
    expect(chartX("loss", "step", "epoch")).toBe("epoch");
  });
});

describe("one-run columns", () => {
  const data = toSeriesData({ x: [1, 2, 3, 4], y: [1, "NaN", 3, -1], count: 400, downsampled: true, y_min: [0, 0, 2, -2], y_max: [2, 2, 4, 0] });

  it("orders columns as [x, max, min, raw, smoothed] and turns NaN into gaps", () => {
    const layout = { band: true, smooth: true };
    const columns = runColumns(data, layout, { strength: 0.5, window: 0 }, false);
    const idx = runIndices(layout);
    expect(columns).toHaveLength(5);
    expect(columns[idx.max]).toEqual([2, 2, 4, 0]);
    expect(columns[idx.raw]).toEqual([1, null, 3, -1]);
    expect(columns[idx.smooth][1]).toBeNull();
    expect(seriesOfColumns(columns)).toBe(data);
  });

  it("drops values at or below zero on a log axis", () => {
    const columns = runColumns(data, { band: false, smooth: false }, NONE, true);
    expect(columns[1]).toEqual([1, null, 3, null]);
  });

  it("measures one logged point's x distance from the true count", () => {
    expect(typicalDx(data)).toBeCloseTo(3 / 399);
  });
});

describe("compare columns", () => {
  const runs = {
    a: toSeriesData({ x: [1, 2, 3], y: [1, 2, 3] }),
    b: toSeriesData({ x: [2, 4], y: [5, "NaN"] }),
  };
  const lines: CompareLine[] = [
    { id: "a", label: "A", color: "#000000", members: ["a"] },
    { id: "b", label: "B", color: "#ffffff", members: ["b"] },
  ];

  it("aligns runs on the union of x, spanning alignment gaps and breaking at NaN", () => {
    const columns = compareColumns(lines, runs, "runs", NONE, false, 2000);
    expect(columns[0]).toEqual([1, 2, 3, 4]);
    expect(columns[1]).toEqual([1, 2, 3, undefined]);
    expect(columns[2]).toEqual([undefined, 5, undefined, null]);
    expect(compareSeries(lines, "runs", false).main).toEqual([1, 2]);
  });

  it("draws a group as max, min and mean", () => {
    const group: CompareLine[] = [{ id: "g", label: "g", color: "#000000", members: ["a", "b"] }];
    const columns = compareColumns(group, runs, "groups", NONE, false, 2000);
    expect(columns[0]).toEqual([1, 2, 3]);
    // b's last finite point (5 at x=2) holds, so the mean does not drop back to a alone.
    expect(columns[3]).toEqual([1, 3.5, 4]);
    const { series, bands, main } = compareSeries(group, "groups", false);
    expect(series).toHaveLength(4);
    expect(bands[0].series).toEqual([1, 2]);
    expect(main).toEqual([3]);
  });

  it("smooths every run against the chart's shared x range", () => {
    const steps = Array.from({ length: 100 }, (_, i) => i);
    const noisy = steps.map((i) => (i % 2 ? 1 : -1));
    const wide = { short: toSeriesData({ x: steps, y: noisy }), long: toSeriesData({ x: [0, 100_000], y: [0, 0] }) };
    const both: CompareLine[] = [
      { id: "short", label: "S", color: "#000000", members: ["short"] },
      { id: "long", label: "L", color: "#ffffff", members: ["long"] },
    ];
    const alone = compareColumns(both.slice(0, 1), wide, "runs", { strength: 0.9, window: 0 }, false, 2000);
    const together = compareColumns(both, wide, "runs", { strength: 0.9, window: 0 }, false, 2000);
    const swing = (col: ArrayLike<number | null | undefined>) => Math.abs(Number(col[99]) - Number(col[98]));
    // Next to a 100k-step run the short run is a sliver of the range: smoothed much harder.
    expect(swing(together[2])).toBeLessThan(swing(alone[2]) / 5);
  });

  it("draws a running average when a window is set", () => {
    const columns = compareColumns(lines.slice(0, 1), runs, "runs", { strength: 0, window: 3 }, false, 2000);
    expect(columns).toHaveLength(3);
    expect(columns[2]).toEqual([1.5, 2, 2.5]);
  });
});
