import { describe, expect, it } from "vitest";
import type { FieldsResponse, RunItem } from "../../api/types";
import { columnSpecs } from "./fields";
import { tableCsv } from "./tableExport";

const fields: FieldsResponse = {
  config: [
    { key: "weight decay", path: ["weight decay"], field: 'config."weight decay"' },
    { key: "optimizer.betas", path: ["optimizer.betas"], field: 'config."optimizer.betas"' },
  ],
  summary: [],
  metrics: [{ key: "val/acc", field: 'metrics."val/acc"' }],
  tags: [],
};

const run = {
  id: "20261201_110000_abc123", project: "sweep", name: "vit, large", status: "finished",
  created_at: 1_796_000_000, ended_at: null, duration: 61.5, tags: ["baseline", "tuned"], notes: "",
  config: { "weight decay": 0.01, "optimizer.betas": [0.9, 0.999] }, summary: {},
  metrics: { "val/acc": { last: "NaN", min: 0.5, max: 0.9, step: 5 } },
} as RunItem;

describe("tableCsv", () => {
  it("writes the visible columns with raw values and field names as headers", () => {
    const csv = tableCsv(
      [
        { id: "name", header: "Name" },
        { id: "tags", header: "Tags" },
        { id: 'config."weight decay"', header: "weight decay" },
        { id: 'config."optimizer.betas"', header: "optimizer.betas" },
        { id: 'metrics."val/acc".max', header: "val/acc" },
        { id: 'metrics."val/acc".last', header: "val/acc" },
        { id: "config.gone", header: "gone" },
      ],
      columnSpecs(fields),
      [run],
    );
    const [header, row] = csv.slice(1).split("\r\n");
    expect(header).toBe('Name,Tags,"config.""weight decay""","config.""optimizer.betas""","metrics.""val/acc"".max","metrics.""val/acc"".last"');
    expect(row).toBe('"sweep/vit, large",baseline; tuned,0.01,"[0.9,0.999]",0.9,nan');
  });
});
