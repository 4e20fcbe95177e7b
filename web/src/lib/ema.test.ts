import { describe, expect, it } from "vitest";
import { emaSmooth } from "./ema";

const steps = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("emaSmooth", () => {
  it("returns the values unchanged when smoothing is zero", () => {
    expect([...emaSmooth([0, 1, 2], [3, 1, 2], 0)]).toEqual([3, 1, 2]);
  });

  it("starts at the first value instead of being pulled towards zero (debiased)", () => {
    const out = emaSmooth(steps(3), [10, 10, 10], 0.9);
    expect(out[0]).toBeCloseTo(10);
    expect(out[2]).toBeCloseTo(10);
  });

  it("matches the classic EMA on evenly spaced x", () => {
    const s = 0.6;
    const y = [1, 5, 2, 8];
    const out = emaSmooth(steps(4), y, s);
    let value = 0;
    let weight = 0;
    y.forEach((v, i) => {
      value = value * s + (1 - s) * v;
      weight = weight * s + (1 - s);
      expect(out[i]).toBeCloseTo(value / weight, 10);
    });
  });

  it("lets a long x gap forget more of the past than a short one", () => {
    const dense = emaSmooth([0, 1, 2], [0, 0, 10], 0.9, 1);
    const gapped = emaSmooth([0, 1, 50], [0, 0, 10], 0.9, 1);
    expect(gapped[2]).toBeGreaterThan(dense[2]);
    expect(gapped[2]).toBeCloseTo(10, 1);
  });

  it("uses the mean x spacing when no typical interval is given", () => {
    const regular = emaSmooth([0, 10, 20, 30], [0, 4, 0, 4], 0.5);
    const unitSteps = emaSmooth([0, 1, 2, 3], [0, 4, 0, 4], 0.5);
    expect([...regular]).toEqual([...unitSteps]);
  });

  it("leaves NaN and infinite points as gaps and skips them in the average", () => {
    const out = emaSmooth(steps(4), [1, NaN, Infinity, 1], 0.5);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(Number.isNaN(out[2])).toBe(true);
    expect(out[3]).toBeCloseTo(1);
  });

  it("survives repeated and non-finite x values", () => {
    const out = emaSmooth([0, 0, NaN, 3], [2, 4, 6, 8], 0.5);
    expect(out.every((v) => Number.isFinite(v))).toBe(true);
  });

  it("handles empty input", () => {
    expect(emaSmooth([], [], 0.9).length).toBe(0);
  });
});
