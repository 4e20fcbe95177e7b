import { describe, expect, it } from "vitest";
import {
  compareHref,
  decodeCompare,
  decodeExperiments,
  decodeRun,
  encodeCompare,
  encodeExperiments,
  encodeRun,
  parseZoom,
  roundZoom,
  runHref,
  type CompareState,
  type ExperimentsState,
  type RunPageState,
} from "./urlState";

const params = (s: string) => new URLSearchParams(s);

describe("experiments state", () => {
  it("round-trips through the query string", () => {
    const state: ExperimentsState = {
      project: "vision",
      name: "resnet50",
      filter: 'config.lr < 1e-3 and name contains "a b"',
      sort: "-summary.acc,created_at",
      status: ["running", "crashed"],
      tags: ["baseline", "a,b"],
      selected: ["20261126_101500_a1b2c3", "20261126_101501_zzzzzz"],
      view: "bin",
      sweep: "scatter",
      brush: '[["config.\\"weight decay\\"",0.01,0.1]]',
    };
    expect(decodeExperiments(encodeExperiments(state))).toEqual(state);
  });

  it("leaves defaults out of the URL and restores them", () => {
    const empty = decodeExperiments(params(""));
    expect(empty).toMatchObject({ project: null, filter: "", sort: "-created_at", status: [], view: "runs" });
    expect(encodeExperiments(empty).toString()).toBe("");
  });

  it("drops unknown statuses", () => {
    expect(decodeExperiments(params("status=running,bogus")).status).toEqual(["running"]);
  });
});

describe("run state", () => {
  it("round-trips tab, x axis, smoothing, log scale, zoom and search", () => {
    const state: RunPageState = { tab: "logs", x: "relative", smoothing: 0.6, smoothWindow: 0, logY: true, zoom: [100, 2000.5], search: "val/", view: "loss first" };
    expect(decodeRun(encodeRun(state))).toEqual(state);
  });

  it("falls back to charts for an unknown tab and ignores a broken zoom", () => {
    const state = decodeRun(params("tab=nope&zoom=5..2&smooth=abc"));
    expect(state).toMatchObject({ tab: "charts", zoom: null, smoothing: null, x: "step" });
  });

  it("keeps full precision for wall-time zoom ranges", () => {
    expect(parseZoom("1795000000.125..1795000100.5")).toEqual([1795000000.125, 1795000100.5]);
    expect(parseZoom("-5..1e3")).toEqual([-5, 1000]);
    expect(parseZoom("..3")).toBeNull();
  });

  it("rounds a dragged range outwards to a readable precision", () => {
    expect(roundZoom(1506.44094488189, 2509.4015748031497)).toEqual([1506, 2510]);
    expect(roundZoom(1795000000.123456, 1795000100.987)).toEqual([1795000000.1, 1795000101]);
    expect(roundZoom(0.00012345, 0.00098765)).toEqual([0.0001234, 0.0009877]);
    expect(roundZoom(5, 5)).toEqual([5, 5]);
  });

  it("clamps smoothing into [0, 0.999]", () => {
    expect(decodeRun(params("smooth=5")).smoothing).toBe(0.999);
  });

  it("keeps smooth as the EMA strength next to a running-average window", () => {
    const state = decodeRun(params("smooth=0.9&avg=50"));
    expect(state).toMatchObject({ smoothing: 0.9, smoothWindow: 50 });
    expect(encodeRun(state).toString()).toBe("smooth=0.9&avg=50");
    expect(decodeRun(params("avg=1")).smoothWindow).toBe(0);
    expect(decodeRun(params("avg=abc")).smoothWindow).toBe(0);
    expect(decodeRun(params("smooth=0.6")).smoothWindow).toBe(0);
  });
});

describe("compare state", () => {
  it("round-trips runs, hidden runs and grouping", () => {
    const state: CompareState = {
      runs: ["a", "b", "c"],
      hidden: ["b"],
      groupBy: "optimizer.name",
      band: "stderr",
      allMetrics: true,
      x: "step",
      smoothing: null,
      smoothWindow: 25,
      logY: false,
      zoom: null,
      search: "",
      view: "loss first",
      mediaKey: "samples/pred 学习率",
      mediaStep: 30,
    };
    expect(decodeCompare(encodeCompare(state))).toEqual(state);
  });

  it("leaves the workspace view and media choice out of the URL by default", () => {
    const state = decodeCompare(params("runs=a,b&smooth=0.9&x=train%2Floss"));
    expect(state).toMatchObject({ view: null, mediaKey: null, mediaStep: null, smoothing: 0.9, x: "train/loss" });
    expect(encodeCompare(state).toString()).toBe("runs=a%2Cb&x=train%2Floss&smooth=0.9");
  });

  it("drops duplicate run ids", () => {
    expect(decodeCompare(params("runs=a,b,a")).runs).toEqual(["a", "b"]);
  });
});

describe("links", () => {
  it("builds run and compare links", () => {
    expect(runHref("r1")).toBe("/runs/r1");
    expect(runHref("r1", "logs")).toBe("/runs/r1?tab=logs");
    expect(compareHref(["a", "b"])).toBe("/compare?runs=a%2Cb");
  });
});
