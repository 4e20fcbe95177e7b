import { describe, expect, it } from "vitest";
import { bandOf, groupStats, unionX } from "./groupStats";

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
    expect(groupStats([])).toEqual({ x: [], mean: [], min: [], max: [], std: [], n: [], members: [] });
  });

  it("thins the union of x values to the point budget", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const thinned = unionX([{ x: xs }], 11);
    expect(thinned.length).toBe(11);
    expect(thinned[0]).toBe(0);
    expect(thinned[10]).toBe(999);
  });
});

describe("group tails and bands", () => {
  const long = { x: [0, 1, 2, 3, 4], y: [1, 1, 1, 1, 1] };
  const short = { x: [0, 1, 2], y: [3, 3, 3] };

  it("holds a finished member's last value so the mean does not jump when it ends", () => {
    const held = groupStats([long, short], 2000, "hold");
    expect(held.mean).toEqual([2, 2, 2, 2, 2]);
    expect(held.n).toEqual([2, 2, 2, 1, 1]);
    expect(held.members).toEqual([2, 2, 2, 2, 2]);
    const stopped = groupStats([long, short], 2000, "stop");
    expect(stopped.mean).toEqual([2, 2, 2, 1, 1]);
  });

  it("aligns members logged at different steps by interpolation before holding", () => {
    const g = groupStats([{ x: [0, 10], y: [0, 10] }, { x: [0, 4], y: [2, 2] }], 2000, "hold");
    expect(g.x).toEqual([0, 4, 10]);
    expect(g.mean).toEqual([1, 3, 6]);
  });

  it("gives standard deviation and standard error bands around the mean", () => {
    const g = groupStats([{ x: [0], y: [1] }, { x: [0], y: [3] }, { x: [0], y: [5] }, { x: [0], y: [7] }]);
    expect(g.mean).toEqual([4]);
    const std = Math.sqrt(5);
    expect(g.std[0]).toBeCloseTo(std, 12);
    const minmax = bandOf(g, "minmax");
    expect([minmax.lo[0], minmax.hi[0]]).toEqual([1, 7]);
    const sd = bandOf(g, "std");
    expect(sd.lo[0]).toBeCloseTo(4 - std, 12);
    expect(sd.hi[0]).toBeCloseTo(4 + std, 12);
    const se = bandOf(g, "stderr");
    expect(se.hi[0]).toBeCloseTo(4 + std / 2, 12);
  });

  it("has no spread for a group of one", () => {
    const g = groupStats([{ x: [0, 1], y: [2, 4] }]);
    expect(g.std).toEqual([0, 0]);
    expect(bandOf(g, "stderr").lo).toEqual([2, 4]);
  });
});
