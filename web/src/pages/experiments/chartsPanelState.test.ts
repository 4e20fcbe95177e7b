import { describe, expect, it } from "vitest";
import { decodeExperimentsPage, encodeExperimentsPage } from "./chartsPanelState";

describe("the experiments page's address", () => {
  it("keeps the charts panel and its grouping beside the table's state", () => {
    const params = new URLSearchParams("filter=config.%E5%AD%A6%E4%B9%A0%E7%8E%87%20%3C%200.001&sel=a,b&charts=1&group=%40tags&band=stderr");
    const state = decodeExperimentsPage(params);
    expect(state).toMatchObject({ filter: "config.学习率 < 0.001", selected: ["a", "b"], charts: true, groupBy: "@tags", band: "stderr" });
    expect(decodeExperimentsPage(encodeExperimentsPage(state))).toEqual(state);
  });

  it("leaves defaults out and ignores an unknown band", () => {
    const state = decodeExperimentsPage(new URLSearchParams("group=optimizer.betas&band=median"));
    expect(state).toMatchObject({ charts: false, groupBy: "optimizer.betas", band: "minmax" });
    const encoded = encodeExperimentsPage({ ...state, groupBy: null, band: "std" });
    expect(encoded.has("group") || encoded.has("band") || encoded.has("charts")).toBe(false);
  });
});
