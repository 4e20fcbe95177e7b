import { describe, expect, it } from "vitest";
import { emaSmooth, extent, runningAverage } from "./ema";

const steps = (n: number, every = 1) => Array.from({ length: n }, (_, i) => i * every);

/** A deterministic noisy series: a slow trend plus alternating noise of amplitude 1. */
function noisy(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 5 - (3 * i) / n + (i % 2 === 0 ? 1 : -1));
}

function roughness(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 1; i < values.length; i++) total += Math.abs(values[i] - values[i - 1]);
  return total / (values.length - 1);
}

describe("emaSmooth", () => {
  it("returns the values unchanged when smoothing is zero", () => {
    expect([...emaSmooth([0, 1, 2], [3, 1, 2], 0)]).toEqual([3, 1, 2]);
  });

  it("starts at the first value instead of being pulled towards zero (debiased)", () => {
    const out = emaSmooth(steps(3), [10, 10, 10], 0.9);
    expect(out[0]).toBeCloseTo(10);
    expect(out[2]).toBeCloseTo(10);
  });

  it("smooths 1k and 1M steps alike: strength is relative to the x range", () => {
    // The same curve logged every step over 1k steps, and every 1000th step over 1M steps
    // (what the server's downsampling hands the chart).
    const y = noisy(1000);
    const short = emaSmooth(steps(1000), y, 0.9);
    const long = emaSmooth(steps(1000, 1000), y, 0.9);
    for (let i = 0; i < 1000; i += 97) expect(long[i]).toBeCloseTo(short[i], 9);
    expect(roughness(long)).toBeLessThan(roughness(y) / 10);
  });

  it("smooths visibly at 0.9 where a per-point decay of 0.9 over 1M steps would not", () => {
    const y = noisy(2000);
    const out = emaSmooth(steps(2000, 500), y, 0.9);
    expect(roughness(out)).toBeLessThan(0.2);
    expect(roughness(y)).toBeCloseTo(2, 1);
  });

  it("smooths more with a higher strength", () => {
    const y = noisy(1000);
    const r = (s: number) => roughness(emaSmooth(steps(1000), y, s));
    expect(r(0.6)).toBeGreaterThan(r(0.9));
    expect(r(0.9)).toBeGreaterThan(r(0.99));
  });

  it("does not depend on how densely the range is sampled", () => {
    const dense = steps(10001).map((v) => v / 10);
    const sparse = steps(1001);
    const f = (x: number) => Math.sin(x / 50) + (x > 500 ? 1 : 0);
    const a = emaSmooth(dense, dense.map(f), 0.9);
    const b = emaSmooth(sparse, sparse.map(f), 0.9);
    expect(a[10000]).toBeCloseTo(b[1000], 1);
    expect(a[6000]).toBeCloseTo(b[600], 1);
  });

  it("smooths over the range it is told (the visible one), not only the data's extent", () => {
    const y = noisy(100);
    const own = emaSmooth(steps(100), y, 0.9);
    const wide = emaSmooth(steps(100), y, 0.9, 100_000);
    expect(roughness(wide)).toBeLessThan(roughness(own) / 10);
  });

  it("lets a long x gap forget more of the past than a short one", () => {
    const x1 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 1000];
    const x2 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const y = [0, 0, 0, 0, 0, 0, 0, 0, 0, 10];
    const gapped = emaSmooth(x1, y, 0.9, 1000);
    const dense = emaSmooth(x2, y, 0.9, 1000);
    expect(gapped[9]).toBeGreaterThan(dense[9]);
    expect(gapped[9]).toBeCloseTo(10, 1);
  });

  it("leaves NaN and infinite points as gaps and skips them in the average", () => {
    const out = emaSmooth(steps(4), [1, NaN, Infinity, 1], 0.5);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(Number.isNaN(out[2])).toBe(true);
    expect(out[3]).toBeCloseTo(1);
  });

  it("survives repeated and non-finite x values and a zero range", () => {
    expect(emaSmooth([0, 0, NaN, 3], [2, 4, 6, 8], 0.5).every((v) => Number.isFinite(v))).toBe(true);
    expect([...emaSmooth([5, 5], [1, 2], 0.9)]).toEqual([1, 2]);
  });

  it("handles empty input", () => {
    expect(emaSmooth([], [], 0.9).length).toBe(0);
  });
});

describe("runningAverage", () => {
  it("averages a centred window of points", () => {
    const out = runningAverage(steps(5), [0, 3, 6, 9, 12], 3);
    expect([...out]).toEqual([1.5, 3, 6, 9, 10.5]);
  });

  it("covers the same steps on downsampled data", () => {
    // 1M steps drawn from 1000 points: a window of 5000 steps spans 5 drawn points.
    const y = noisy(1000);
    const out = runningAverage(steps(1000, 1000), y, 5000, 1);
    const indexed = runningAverage(steps(1000), y, 5);
    expect(out[500]).toBeCloseTo(indexed[500], 9);
    expect(roughness(out)).toBeLessThan(roughness(y) / 3);
  });

  it("leaves the series as it is for a window of one", () => {
    expect([...runningAverage(steps(3), [1, 2, 3], 1)]).toEqual([1, 2, 3]);
  });

  it("skips NaN in the window and keeps it as a gap", () => {
    const out = runningAverage(steps(3), [1, NaN, 3], 3);
    expect(out[0]).toBe(1);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBe(3);
  });

  it("counts entries when x is not increasing", () => {
    const out = runningAverage([3, 1, 2], [0, 3, 6], 3, 1);
    expect(out[1]).toBeCloseTo(3);
  });
});

describe("extent", () => {
  it("ignores non-finite x", () => {
    expect(extent([NaN, 2, 10, Infinity])).toBe(8);
    expect(extent([])).toBe(0);
  });
});
