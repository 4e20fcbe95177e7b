import { describe, expect, it } from "vitest";
import type { RunItem } from "../../api/types";
import { encodeSort, fieldExpression, fieldValue, nextSort, parseFieldId, parseSort } from "./fields";

const run = {
  config: { optimizer: { lr: 0.01 } },
  summary: { acc: 0.9 },
  metrics: { "val/loss": { last: 0.4, min: "NaN", max: 2, step: 10 } },
} as unknown as RunItem;

describe("table fields", () => {
  it("parses stored column ids", () => {
    expect(parseFieldId("metrics.min:val/loss")).toEqual({ kind: "metrics.min", key: "val/loss" });
    expect(parseFieldId("config:a:b")).toEqual({ kind: "config", key: "a:b" });
    expect(parseFieldId("bogus:x")).toBeNull();
    expect(parseFieldId("config:")).toBeNull();
  });

  it("names fields as the v2 grammar does", () => {
    expect(fieldExpression({ kind: "config", key: "optimizer.lr" })).toBe("config.optimizer.lr");
    expect(fieldExpression({ kind: "metrics.last", key: "val/loss" })).toBe('metrics."val/loss".last');
  });

  it("reads values from a run", () => {
    expect(fieldValue(run, { kind: "config", key: "optimizer.lr" })).toBe(0.01);
    expect(fieldValue(run, { kind: "summary", key: "acc" })).toBe(0.9);
    expect(fieldValue(run, { kind: "metrics.max", key: "val/loss" })).toBe(2);
    expect(fieldValue(run, { kind: "metrics.min", key: "val/loss" })).toBeNaN();
    expect(fieldValue(run, { kind: "metrics.last", key: "nope" })).toBeUndefined();
  });
});

describe("sorting", () => {
  it("parses and encodes multi-field sorts, quoted keys included", () => {
    const keys = parseSort('-summary.acc,config."a,b"');
    expect(keys).toEqual([
      { field: "summary.acc", desc: true },
      { field: 'config."a,b"', desc: false },
    ]);
    expect(encodeSort(keys)).toBe('-summary.acc,config."a,b"');
  });

  it("cycles a column through descending, ascending and off", () => {
    let sort = nextSort([], "duration", false);
    expect(sort).toEqual([{ field: "duration", desc: true }]);
    sort = nextSort(sort, "duration", false);
    expect(sort).toEqual([{ field: "duration", desc: false }]);
    expect(nextSort(sort, "duration", false)).toEqual([]);
  });

  it("adds secondary sorts with shift", () => {
    const sort = nextSort([{ field: "status", desc: false }], "duration", true);
    expect(sort).toEqual([
      { field: "status", desc: false },
      { field: "duration", desc: true },
    ]);
    expect(nextSort(sort, "status", true)).toEqual([{ field: "duration", desc: true }]);
  });
});
