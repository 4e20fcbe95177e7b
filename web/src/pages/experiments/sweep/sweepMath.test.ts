import { describe, expect, it } from "vitest";
import type { RunItem } from "../../../api/types";
import type { ColumnSpec } from "../fields";
import {
  axisTicks,
  brushConditions,
  brushMask,
  brushRunFilter,
  buildAxis,
  decodeBrushes,
  denormalize,
  encodeBrushes,
  linearTicks,
  makeBrush,
  nearestPoint,
  normalize,
  rampColor,
} from "./sweepMath";

function run(id: string, config: RunItem["config"], loss: number | "NaN" | null): RunItem {
  return {
    id, project: "sweep", name: "vit", status: "finished", created_at: 0, ended_at: 1, duration: 1,
    tags: [], notes: "", config, summary: {},
    metrics: loss === null ? {} : { "train/loss": { last: loss, min: loss, max: loss, step: 10 } },
  };
}

const batch: ColumnSpec = { id: "config.batch_size", kind: "config", label: "batch_size", path: ["batch_size"], metric: "" };
const lr: ColumnSpec = { id: 'config."学习率"', kind: "config", label: "学习率", path: ["学习率"], metric: "" };
const opt: ColumnSpec = { id: "config.optimizer", kind: "config", label: "optimizer", path: ["optimizer"], metric: "" };
const loss: ColumnSpec = { id: 'metrics."train/loss".last', kind: "metrics.last", label: "train/loss", path: [], metric: "train/loss" };

const runs = [
  run("a", { batch_size: 16, 学习率: 1e-5, optimizer: "sgd" }, 0.9),
  run("b", { batch_size: 64, 学习率: 1e-3, optimizer: "adamw" }, 0.4),
  run("c", { batch_size: 256, 学习率: 1e-2, optimizer: "adam" }, "NaN"),
  run("d", { 学习率: 3e-4, optimizer: "adamw" }, null),
];

describe("buildAxis", () => {
  it("reads numbers, with NaN for missing and non-finite values", () => {
    const axis = buildAxis(runs, batch);
    expect(axis.kind).toBe("numeric");
    expect([...axis.values].slice(0, 3)).toEqual([16, 64, 256]);
    expect(axis.values[3]).toBeNaN();
    expect([axis.min, axis.max]).toEqual([16, 256]);
    const metric = buildAxis(runs, loss);
    expect(metric.values[2]).toBeNaN();
    expect(metric.values[3]).toBeNaN();
    expect([metric.min, metric.max]).toEqual([0.4, 0.9]);
  });

  it("puts a sweep over decades on a log scale", () => {
    const axis = buildAxis(runs, lr);
    expect(axis.log).toBe(true);
    expect(normalize(axis, 1e-5)).toBeCloseTo(0);
    expect(normalize(axis, 1e-2)).toBeCloseTo(1);
    expect(normalize(axis, 1e-3)).toBeCloseTo(2 / 3);
    expect(denormalize(axis, 2 / 3)).toBeCloseTo(1e-3);
    expect(axisTicks(axis)).toEqual([1e-5, 1e-4, 1e-3, 1e-2]);
  });

  it("turns text into sorted categories", () => {
    const axis = buildAxis(runs, opt);
    expect(axis.kind).toBe("category");
    expect(axis.categories).toEqual(["adam", "adamw", "sgd"]);
    expect([...axis.values]).toEqual([2, 1, 0, 1]);
    expect(normalize(axis, 1)).toBe(0.5);
  });
});

describe("linearTicks", () => {
  it("gives round steps inside the range", () => {
    expect(linearTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(16, 256, 4)).toEqual([100, 200]);
    expect(linearTicks(3, 3)).toEqual([3]);
  });
});

describe("brushes", () => {
  const axes = [buildAxis(runs, batch), buildAxis(runs, opt), buildAxis(runs, lr)];

  it("select the runs inside every brushed interval, never runs without the value", () => {
    const mask = brushMask(axes, [{ field: "config.batch_size", lo: 300, hi: 50 }], runs.length);
    expect([...mask]).toEqual([0, 1, 1, 0]);
    const both = brushMask(
      axes,
      [
        { field: "config.batch_size", lo: 50, hi: 300 },
        makeBrush(axes[1], 0.6, 1.4),
      ],
      runs.length,
    );
    expect([...both]).toEqual([0, 1, 0, 0]);
    expect([...brushMask(axes, [{ field: "config.unknown", lo: 0, hi: 1 }], 4)]).toEqual([1, 1, 1, 1]);
  });

  it("become filter conditions the server understands", () => {
    expect(
      brushConditions([
        makeBrush(axes[0], 300, 50),
        makeBrush(axes[1], -0.2, 1.1),
        makeBrush(axes[2], 1e-4, 2e-3),
      ]),
    ).toEqual([
      "config.batch_size >= 50 and config.batch_size <= 300",
      "config.optimizer in (adam, adamw)",
      'config."学习率" >= 0.0001 and config."学习率" <= 0.002',
    ]);
  });

  it("on a category axis keep meaning the same categories when new ones arrive", () => {
    const brush = makeBrush(axes[1], 0.6, 1.4);
    expect(brush.categories).toEqual(["adamw"]);
    const more = [...runs, run("e", { optimizer: "adafactor" }, 0.2)];
    const wider = [buildAxis(more, opt)];
    expect(wider[0].categories).toEqual(["adafactor", "adam", "adamw", "sgd"]);
    expect([...brushMask(wider, [brush], more.length)]).toEqual([0, 1, 0, 1, 0]);
    expect(brushConditions([{ ...brush, categories: [] }])).toEqual(['config.optimizer in ("")']);
  });

  it("round-trip through the URL text, dropping malformed entries", () => {
    const brushes = [
      { field: 'config."weight decay"', lo: 0.01, hi: 0.1 },
      { field: "config.optimizer", lo: 0, hi: 1, categories: ["adam", "a:b"] },
    ];
    expect(decodeBrushes(encodeBrushes(brushes))).toEqual(brushes);
    expect(encodeBrushes([])).toBe("");
    expect(decodeBrushes("not json")).toEqual([]);
    expect(decodeBrushes('[["a", 1], ["b", 1, 2]]')).toEqual([{ field: "b", lo: 1, hi: 2 }]);
  });
});

describe("nearestPoint", () => {
  it("finds the closest point within the radius", () => {
    const xs = Float64Array.from([10, 50, 52]);
    const ys = Float64Array.from([10, 50, 50]);
    expect(nearestPoint(xs, ys, 51.8, 50, 6)).toBe(2);
    expect(nearestPoint(xs, ys, 200, 200, 6)).toBe(-1);
  });
});

describe("rampColor", () => {
  it("runs from violet to yellow and greys out missing values", () => {
    expect(rampColor(0)).toBe("rgb(68, 1, 84)");
    expect(rampColor(1)).toBe("rgb(253, 231, 37)");
    expect(rampColor(NaN)).toBe("#9aa0a6");
  });
});

describe("a list-valued axis (optimizer.betas)", () => {
  const betas: ColumnSpec = { id: 'config."optimizer.betas"', kind: "config", label: "optimizer.betas", path: ["optimizer.betas"], metric: "" };
  const sweep = [
    run("adamw", { "optimizer.betas": [0.9, 0.999] }, 0.5),
    run("lion", { "optimizer.betas": [1.0, 0.5] }, 0.4),
    run("adam", { "optimizer.betas": [0.9, 0.999] }, 0.3),
    run("sgd", {}, 0.2),
  ];
  const specs = new Map([[betas.id, betas], [batch.id, batch]]);

  it("is a category axis of each list's text", () => {
    const axis = buildAxis(sweep, betas);
    expect(axis.kind).toBe("category");
    expect(axis.lists).toBe(true);
    expect(axis.categories).toEqual(["[0.9,0.999]", "[1,0.5]"]);
  });

  it("is brushed in the browser: the table keeps exactly the runs with a brushed list", () => {
    const axis = buildAxis(sweep, betas);
    const brush = makeBrush(axis, -0.2, 0.3);
    expect(brush.categories).toEqual(["[0.9,0.999]"]);
    expect([...brushMask([axis], [brush], sweep.length)]).toEqual([1, 0, 1, 0]);
    // The server spells [1.0, 0.5] as "[1.0,0.5]": a text condition would keep no run.
    expect(brushConditions([brush])).toEqual([]);
    const keep = brushRunFilter([brush], specs);
    expect(keep).not.toBeNull();
    expect(sweep.filter((r) => keep?.(r)).map((r) => r.id)).toEqual(["adamw", "adam"]);
    const other = makeBrush(axis, 0.7, 1.2);
    expect(sweep.filter((r) => brushRunFilter([other], specs)?.(r)).map((r) => r.id)).toEqual(["lion"]);
  });

  it("leaves the other brushes to the server and survives the URL", () => {
    const axis = buildAxis(sweep, betas);
    const list = makeBrush(axis, 0.7, 1.2);
    const numeric = { field: batch.id, lo: 16, hi: 64 };
    expect(brushConditions([list, numeric])).toEqual(["config.batch_size >= 16 and config.batch_size <= 64"]);
    expect(brushRunFilter([numeric], specs)).toBeNull();
    expect(decodeBrushes(encodeBrushes([list, numeric]))).toEqual([list, numeric]);
  });
});
