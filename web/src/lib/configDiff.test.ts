import { describe, expect, it } from "vitest";
import { diffConfigs, flatten, getPath, sameValue } from "./configDiff";

describe("flatten", () => {
  it("joins nested keys with dots and keeps arrays as values", () => {
    expect(flatten({ lr: 1, opt: { name: "adam", betas: [0.9, 0.99] }, empty: {} })).toEqual({
      lr: 1,
      "opt.name": "adam",
      "opt.betas": [0.9, 0.99],
      empty: {},
    });
  });
});

describe("diffConfigs", () => {
  const a = { lr: 0.001, batch: 32, opt: { name: "adam" }, seed: 1 };
  const b = { lr: 0.001, batch: 64, opt: { name: "sgd" }, seed: 1 };
  const c = { lr: 0.001, batch: 32, opt: { name: "adam" } };

  it("keeps only the keys on which runs differ", () => {
    const rows = diffConfigs([a, b]);
    expect(rows.map((r) => r.key)).toEqual(["batch", "opt.name"]);
    expect(rows[0].values).toEqual([32, 64]);
  });

  it("treats a key missing from some runs as a difference", () => {
    const rows = diffConfigs([a, c]);
    expect(rows).toEqual([{ key: "seed", values: [1, undefined] }]);
  });

  it("returns every key when asked", () => {
    expect(diffConfigs([a, b], true).map((r) => r.key)).toEqual(["batch", "lr", "opt.name", "seed"]);
  });

  it("compares arrays and objects by content", () => {
    expect(diffConfigs([{ x: [1, 2] }, { x: [1, 2] }])).toEqual([]);
    expect(sameValue(NaN, NaN)).toBe(true);
    expect(sameValue(1, "1")).toBe(false);
  });

  it("has nothing to say about a single run", () => {
    expect(diffConfigs([a])).toEqual([]);
  });
});

describe("getPath", () => {
  it("reads nested and literal dotted keys", () => {
    expect(getPath({ opt: { lr: 2 } }, "opt.lr")).toBe(2);
    expect(getPath({ "opt.lr": 3 }, "opt.lr")).toBe(3);
    expect(getPath({ "a.b": { c: 4 } }, "a.b.c")).toBe(4);
    expect(getPath({ a: 1 }, "a.b")).toBeUndefined();
    expect(getPath(null, "a")).toBeUndefined();
  });
});
