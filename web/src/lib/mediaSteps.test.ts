import { describe, expect, it } from "vitest";
import { byStep, indexAtOrBefore, sliderIndex, unionSteps } from "./mediaSteps";

const resnet = byStep([
  { step: 20, ts: 2, path: "media/samples_pred_20_2.png" },
  { step: 10, ts: 1, path: "media/samples_pred_10_1.png" },
  { step: 30, ts: 3, path: "media/samples_pred_30_3.png" },
]);
const vit = byStep([
  { step: 15, ts: 5, path: "media/samples_pred_15_1.png" },
  { step: 15, ts: 9, path: "media/samples_pred_15_2.png" },
  { step: 30, ts: 11, path: "media/samples_pred_30_3.png" },
]);

describe("media at a step across runs", () => {
  it("lists the steps any run has an image at", () => {
    expect(unionSteps([resnet, vit])).toEqual([10, 15, 20, 30]);
    expect(unionSteps([])).toEqual([]);
  });

  it("takes each run's image at the step, else the nearest before it, else none", () => {
    expect(resnet[indexAtOrBefore(resnet, 20)].path).toBe("media/samples_pred_20_2.png");
    expect(resnet[indexAtOrBefore(resnet, 15)].path).toBe("media/samples_pred_10_1.png");
    expect(indexAtOrBefore(vit, 10)).toBe(-1);
    expect(resnet[indexAtOrBefore(resnet, 1e9)].step).toBe(30);
  });

  it("of two images at one step takes the one logged last", () => {
    expect(vit[indexAtOrBefore(vit, 15)].path).toBe("media/samples_pred_15_2.png");
    expect(vit[indexAtOrBefore(vit, 29)].path).toBe("media/samples_pred_15_2.png");
  });

  it("counts an image without a step as step 0", () => {
    const items = byStep([{ step: 5 }, { step: null }]);
    expect(items[0].step).toBeNull();
    expect(indexAtOrBefore(items, 0)).toBe(0);
  });

  it("puts the slider on the chosen step, the nearest before it, or the last", () => {
    const steps = [10, 15, 20, 30];
    expect(sliderIndex(steps, null)).toBe(3);
    expect(sliderIndex(steps, 20)).toBe(2);
    expect(sliderIndex(steps, 17)).toBe(1);
    expect(sliderIndex(steps, 3)).toBe(0);
    expect(sliderIndex([], 3)).toBe(-1);
  });
});
