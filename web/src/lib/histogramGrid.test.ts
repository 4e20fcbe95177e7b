import { describe, expect, it } from "vitest";
import { histogramGrid, histogramMoments, nearestStepIndex, rebin, valueRange } from "./histogramGrid";

const column = (cells: Float32Array, rows: number, c: number) => Array.from(cells.slice(c * rows, (c + 1) * rows));

describe("rebin", () => {
  it("keeps every count when the rows match the bins", () => {
    const out = new Float32Array(4);
    const total = rebin([0, 1, 2, 3, 4], [1, 2, 3, 4], 0, 4, 4, out, 0);
    expect(total).toBe(10);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
  });

  it("spreads a bin over the rows it overlaps, in proportion", () => {
    const out = new Float32Array(4);
    rebin([0, 2], [8], 0, 4, 4, out, 0);
    expect(Array.from(out)).toEqual([4, 4, 0, 0]);
    const half = new Float32Array(2);
    rebin([0.5, 1.5], [10], 0, 2, 2, half, 0);
    expect(Array.from(half)).toEqual([5, 5]);
  });

  it("conserves the total for bins not aligned with the rows", () => {
    const out = new Float32Array(7);
    rebin([-1, 0.3, 0.9, 2.2, 3], [3, 5, 7, 11], -1, 3, 7, out, 0);
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(26, 4);
  });

  it("puts a zero-width bin in its row and ignores bad counts", () => {
    const out = new Float32Array(2);
    rebin([1, 1, 2], [4, Number.NaN], 0, 2, 2, out, 0);
    expect(Array.from(out)).toEqual([0, 4]);
  });
});

describe("histogramGrid", () => {
  const series = {
    steps: [1, 2, 3],
    edges: [
      [0, 1, 2],
      [1, 2, 3],
      [],
    ],
    counts: [[4, 0], [0, 2], []],
  };

  it("shares one value axis across steps whose ranges differ", () => {
    expect(valueRange(series)).toEqual([0, 3]);
    const grid = histogramGrid(series, 3);
    expect(grid.lo).toBe(0);
    expect(grid.hi).toBe(3);
    expect(column(grid.cells, 3, 0)).toEqual([1, 0, 0]);
    expect(column(grid.cells, 3, 1)).toEqual([0, 0, 1]);
    // A step with no finite values is an empty column, not an error.
    expect(column(grid.cells, 3, 2)).toEqual([0, 0, 0]);
  });

  it("follows a distribution drifting over 1,000 steps x 64 bins", () => {
    const steps = Array.from({ length: 1000 }, (_, i) => i);
    const edges = steps.map((s) => Array.from({ length: 65 }, (_, b) => s / 100 + (b - 32) / 10));
    const counts = steps.map(() => Array.from({ length: 64 }, (_, b) => Math.exp(-(((b - 32) / 10) ** 2))));
    const grid = histogramGrid({ steps, edges, counts }, 128);
    expect(grid.cells.length).toBe(1000 * 128);
    // The distribution drifts up over steps: the peak row rises.
    const peak = (c: number) => column(grid.cells, 128, c).indexOf(1);
    expect(peak(999)).toBeGreaterThan(peak(0));
  });

  it("handles no histograms at all", () => {
    expect(valueRange({ steps: [], edges: [], counts: [] })).toBeNull();
    expect(histogramGrid({ steps: [], edges: [], counts: [] }, 8).cells.length).toBe(0);
  });

  it("widens a range of one value so it can be drawn", () => {
    expect(valueRange({ steps: [1], edges: [[2, 2]], counts: [[3]] })).toEqual([1.5, 2.5]);
  });
});

describe("nearestStepIndex", () => {
  it("finds the logged step nearest to any step", () => {
    const steps = [10, 20, 40];
    expect(nearestStepIndex(steps, 0)).toBe(0);
    expect(nearestStepIndex(steps, 24)).toBe(1);
    expect(nearestStepIndex(steps, 31)).toBe(2);
    expect(nearestStepIndex(steps, 99)).toBe(2);
    expect(nearestStepIndex([], 5)).toBe(-1);
  });
});

describe("histogramMoments", () => {
  it("gives mean and spread from bin centres", () => {
    const m = histogramMoments([0, 2, 4], [1, 1]);
    expect(m.mean).toBe(2);
    expect(m.std).toBe(1);
    expect(m.total).toBe(2);
    expect(Number.isNaN(histogramMoments([], []).mean)).toBe(true);
  });
});
