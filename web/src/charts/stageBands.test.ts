import { describe, expect, it } from "vitest";
import { stageBandRects } from "./stageBands";

/** Steps 0..100 over a 500 px plot. */
const toPixels = (step: number) => step * 5;

describe("stage bands", () => {
  it("covers each span half a step either side, one colour per stage name", () => {
    const rects = stageBandRects(
      [
        { stage: "train", start: 1, end: 40 },
        { stage: "val", start: 41, end: 41 },
        { stage: "train", start: 42, end: 80 },
      ],
      toPixels,
      500,
    );
    expect(rects.map((r) => [r.stage, r.left, r.width, r.colorIndex])).toEqual([
      ["train", 2.5, 200, 0],
      ["val", 202.5, 5, 1],
      ["train", 207.5, 195, 0],
    ]);
    expect(rects.map((r) => r.showLabel)).toEqual([true, false, true]);
  });

  it("clips to the plot when zoomed and drops spans outside it", () => {
    const zoomed = (step: number) => (step - 50) * 10; // steps 50..100 over 500 px
    const rects = stageBandRects(
      [
        { stage: "train", start: 1, end: 40 },
        { stage: "val", start: 41, end: 60 },
        { stage: "测试", start: 61, end: 200 },
      ],
      zoomed,
      500,
    );
    expect(rects.map((r) => [r.stage, r.left, r.width])).toEqual([
      ["val", 0, 105],
      ["测试", 105, 395],
    ]);
    expect(rects.map((r) => r.colorIndex)).toEqual([1, 2]);
  });

  it("keeps a span visible when it is narrower than a pixel and skips an unplaced axis", () => {
    const dense = (step: number) => step / 1000;
    expect(stageBandRects([{ stage: "val", start: 10, end: 10 }], dense, 500)[0].width).toBe(2);
    expect(stageBandRects([{ stage: "val", start: 1, end: 2 }], () => NaN, 500)).toEqual([]);
  });
});
