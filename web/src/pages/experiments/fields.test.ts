import { describe, expect, it } from "vitest";
import type { FieldsResponse, RunItem } from "../../api/types";
import { columnSpecs, encodeSort, fieldValue, nextSort, parseSort, resolveColumn } from "./fields";

const run = {
  config: { optimizer: { lr: 0.01 }, "optimizer.lr": 0.5, "weight decay": 0.1, batch_size: 64, 学习率: 3e-4 },
  summary: { best_val_acc: 0.9 },
  metrics: { "val/loss": { last: 0.4, min: "NaN", max: 2, step: 10 } },
} as unknown as RunItem;

// As GET /api/v2/fields answers (SQLite's quoting never reaches the client).
const fields: FieldsResponse = {
  config: [
    { key: "batch_size", path: ["batch_size"], field: "config.batch_size" },
    { key: "optimizer.lr", path: ["optimizer", "lr"], field: "config.optimizer.lr" },
    { key: "optimizer.lr", path: ["optimizer.lr"], field: 'config."optimizer.lr"' },
    { key: "weight decay", path: ["weight decay"], field: 'config."weight decay"' },
    { key: "学习率", path: ["学习率"], field: "config.学习率" },
  ],
  summary: [{ key: "best_val_acc", path: ["best_val_acc"], field: "summary.best_val_acc" }],
  metrics: [{ key: "val/loss", field: 'metrics."val/loss"' }],
  tags: [],
};

describe("table fields", () => {
  const specs = columnSpecs(fields);

  it("uses the server's field names as column ids and sorts", () => {
    expect([...specs.keys()]).toEqual([
      "config.batch_size",
      "config.optimizer.lr",
      'config."optimizer.lr"',
      'config."weight decay"',
      "config.学习率",
      "summary.best_val_acc",
      'metrics."val/loss".last',
      'metrics."val/loss".min',
      'metrics."val/loss".max',
    ]);
    expect(resolveColumn("summary.best_val_acc", specs)?.label).toBe("best_val_acc");
  });

  it("reads values at the server's key path, telling nested and dotted keys apart", () => {
    const value = (id: string) => {
      const spec = resolveColumn(id, specs);
      if (!spec) throw new Error(`no column ${id}`);
      return fieldValue(run, spec);
    };
    expect(value("config.optimizer.lr")).toBe(0.01);
    expect(value('config."optimizer.lr"')).toBe(0.5);
    expect(value('config."weight decay"')).toBe(0.1);
    expect(value("config.batch_size")).toBe(64);
    expect(value("config.学习率")).toBe(3e-4);
    expect(value("summary.best_val_acc")).toBe(0.9);
    expect(value('metrics."val/loss".max')).toBe(2);
    expect(value('metrics."val/loss".min')).toBeNaN();
  });

  it("maps column choices stored as kind:key to the server's names", () => {
    expect(resolveColumn("config:batch_size", specs)?.id).toBe("config.batch_size");
    expect(resolveColumn("metrics.min:val/loss", specs)?.id).toBe('metrics."val/loss".min');
    expect(resolveColumn("config:nope", specs)).toBeNull();
    expect(resolveColumn("config.nope", specs)).toBeNull();
  });
});

describe("sorting", () => {
  it("parses and encodes multi-field sorts, quoted keys included", () => {
    const keys = parseSort('-summary.acc,config."a,b",config."x\\",y"');
    expect(keys).toEqual([
      { field: "summary.acc", desc: true },
      { field: 'config."a,b"', desc: false },
      { field: 'config."x\\",y"', desc: false },
    ]);
    expect(encodeSort(keys)).toBe('-summary.acc,config."a,b",config."x\\",y"');
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
