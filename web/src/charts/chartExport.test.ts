import { describe, expect, it } from "vitest";
import { chartCsv } from "./chartExport";

describe("chartCsv", () => {
  it("writes x and every series, leaving gaps empty", () => {
    const chart = {
      data: [
        [1, 2, 3],
        [0.5, null, 0.25],
        [1, 2, NaN],
      ],
      series: [{}, { label: "train/loss" }, { label: "val/loss, smoothed" }],
    } as unknown as Parameters<typeof chartCsv>[0];
    expect(chartCsv(chart, "step")).toBe('\ufeffstep,train/loss,"val/loss, smoothed"\r\n1,0.5,1\r\n2,,2\r\n3,0.25,nan\r\n');
  });
});
