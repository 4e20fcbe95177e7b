import { describe, expect, it } from "vitest";
import { scatterColumns } from "./keyVsKey";

describe("scatterColumns", () => {
  it("merges two runs' aligned pairs into one x-sorted table, one column per run", () => {
    // val/acc against train/loss: the server sent the steps where both were logged, sorted by loss.
    const runs = {
      resnet: { x: [0.4, 0.9, 1.5], y: [0.84, 0.64, 0.4] },
      vit: { x: [0.9, 1.2], y: [0.6, 0.52] },
    };
    const out = scatterColumns([{ members: ["resnet"] }, { members: ["vit"] }], runs);
    expect(out.data).toEqual([
      [0.4, 0.9, 1.2, 1.5],
      [0.84, 0.64, null, 0.4],
      [null, 0.6, 0.52, null],
    ]);
    expect(out.points).toEqual([3, 2]);
    expect(out.dropped).toBe(0);
  });

  it("keeps every point of a line that repeats an x value", () => {
    const out = scatterColumns([{ members: ["a"] }], { a: { x: [1, 1, 2], y: [5, 6, 7] } });
    expect(out.data).toEqual([
      [1, 1, 2],
      [5, 6, 7],
    ]);
  });

  it("drops NaN and infinite pairs, and values a log axis cannot draw, and counts them", () => {
    const runs = { a: { x: [NaN, 1, 2, 3, Infinity], y: [1, NaN, 0, 4, 2] } };
    expect(scatterColumns([{ members: ["a"] }], runs)).toEqual({ data: [[2, 3], [0, 4]], points: [2], dropped: 3 });
    expect(scatterColumns([{ members: ["a"] }], runs, true)).toEqual({ data: [[3], [4]], points: [1], dropped: 4 });
  });

  it("puts a group's members in one column and skips runs without data", () => {
    const runs = { a: { x: [1, 3], y: [10, 30] }, b: { x: [2], y: [20] } };
    const out = scatterColumns([{ members: ["a", "b", "missing"] }], runs);
    expect(out.data).toEqual([
      [1, 2, 3],
      [10, 20, 30],
    ]);
    expect(out.points).toEqual([3]);
  });

  it("is empty without lines or points", () => {
    expect(scatterColumns([], {}).data).toEqual([[]]);
    expect(scatterColumns([{ members: ["a"] }], {}).data).toEqual([[], []]);
  });
});
