import { describe, expect, it } from "vitest";
import { chartCsv, chartSvg, type SvgChart } from "./chartExport";

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

function fakeChart(xValues: (string | null)[] = ["0", "50", "100"]): SvgChart {
  // A 400 x 200 chart drawn at 2 device pixels per CSS pixel, plot area 50..382 x 8..170.
  const plot = { left: 50, top: 8, width: 332, height: 162 };
  const x = { min: 0, max: 100 };
  const y = { min: 0, max: 1 };
  return {
    width: 400,
    height: 200,
    pxRatio: 2,
    bbox: { left: plot.left * 2, top: plot.top * 2, width: plot.width * 2, height: plot.height * 2 },
    data: [
      [0, 50, 100],
      [1, NaN, 0.5],
    ],
    series: [{}, { label: "train/loss", stroke: "#e15759", scale: "y" }],
    scales: { x: {}, y: {} },
    valToPos: (value: number, scale: string) =>
      scale === "x" ? ((value - x.min) / (x.max - x.min)) * plot.width : (1 - (value - y.min) / (y.max - y.min)) * plot.height,
    axes: [
      { show: true, _show: true, side: 2, scale: "x", gap: 4, ticks: { show: true, size: 4 }, _pos: 170, _splits: [0, 50, 100], _values: xValues },
      { show: true, _show: true, side: 3, scale: "y", gap: 4, ticks: { show: true, size: 4 }, _pos: 50, _splits: [0, 0.5, 1], _values: ["0", "0.5", "1"] },
    ],
  } as unknown as SvgChart;
}

function parse(svg: string): Document {
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  expect(doc.getElementsByTagName("parsererror")).toHaveLength(0);
  return doc;
}

describe("chartSvg", () => {
  const colors = { background: "#ffffff", text: "#5f6673", xLabel: "step" };

  it("has every tick label of both axes at the tick's place, and the axis titles", () => {
    const doc = parse(chartSvg(fakeChart(), "val/学习率 <warm-up>", colors));
    const ticks = [...doc.querySelectorAll("text.tick")];
    expect(ticks.map((t) => t.textContent)).toEqual(["0", "50", "100", "0", "0.5", "1"]);
    // x labels under the plot, centred on their tick; y labels left of the axis, on their tick.
    expect(ticks.slice(0, 3).map((t) => Number(t.getAttribute("x")))).toEqual([50, 216, 382]);
    expect(ticks.slice(0, 3).every((t) => Number(t.getAttribute("y")) === 178)).toBe(true);
    expect(ticks.slice(3).map((t) => Number(t.getAttribute("y")))).toEqual([170, 89, 8]);
    expect(ticks.slice(3).every((t) => t.getAttribute("text-anchor") === "end" && Number(t.getAttribute("x")) === 42)).toBe(true);
    const titles = [...doc.querySelectorAll("text.axis-title")].map((t) => t.textContent);
    expect(titles).toEqual(["step"]);
    expect(doc.documentElement.textContent).toContain("val/学习率 <warm-up>");
  });

  it("draws the lines inside the plot area, lifting the pen over NaN", () => {
    const doc = parse(chartSvg(fakeChart(), "train/loss", colors));
    const path = doc.querySelector("path");
    expect(path?.getAttribute("d")).toBe("M50.0 8.0M382.0 89.0");
    expect(path?.querySelector("title")?.textContent).toBe("train/loss");
  });

  it("keeps multi-line time labels and skips the ticks uPlot left unlabelled", () => {
    const doc = parse(chartSvg(fakeChart(["10:00\n12-01", null, "10:05"]), "gpu/util", colors));
    const ticks = [...doc.querySelectorAll("text.tick")].slice(0, 2);
    expect(ticks.map((t) => [...t.querySelectorAll("tspan")].map((s) => s.textContent))).toEqual([["10:00", "12-01"], ["10:05"]]);
  });
});
