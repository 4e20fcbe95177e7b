import { describe, expect, it } from "vitest";
import { groupStats, unionX } from "./groupStats";

describe("groupStats", () => {
  it("averages runs logged at the same steps", () => {
    const g = groupStats([
      { x: [1, 2, 3], y: [1, 2, 3] },
      { x: [1, 2, 3], y: [3, 4, 5] },
    ]);
    expect(g.x).toEqual([1, 2, 3]);
    expect(g.mean).toEqual([2, 3, 4]);
    expect(g.min).toEqual([1, 2, 3]);
    expect(g.max).toEqual([3, 4, 5]);
    expect(g.n).toEqual([2, 2, 2]);
  });

  it("interpolates runs onto each other's x values", () => {
    const g = groupStats([
      { x: [0, 10], y: [0, 10] },
      { x: [5], y: [1] },
    ]);
    expect(g.x).toEqual([0, 5, 10]);
    expect(g.mean).toEqual([0, 3, 10]);
    expect(g.min[1]).toBe(1);
    expect(g.max[1]).toBe(5);
  });

  it("does not extrapolate a run beyond its own range", () => {
    const g = groupStats([
      { x: [0, 1, 2, 3], y: [1, 1, 1, 1] },
      { x: [0, 1], y: [3, 3] },
    ]);
    expect(g.n).toEqual([2, 2, 1, 1]);
    expect(g.mean).toEqual([2, 2, 1, 1]);
  });

  it("ignores NaN and infinite values", () => {
    const g = groupStats([
      { x: [0, 1], y: [NaN, 2] },
      { x: [0, 1], y: [4, Infinity] },
    ]);
    expect(g.mean).toEqual([4, 2]);
  });

  it("sorts unsorted input and handles empty groups", () => {
    expect(groupStats([{ x: [2, 1], y: [20, 10] }]).mean).toEqual([10, 20]);
    expect(groupStats([])).toEqual({ x: [], mean: [], min: [], max: [], n: [] });
  });

  it("thins the union of x values to the point budget", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const thinned = unionX([{ x: xs }], 11);
    expect(thinned.length).toBe(11);
    expect(thinned[0]).toBe(0);
    expect(thinned[10]).toBe(999);
  });
});
