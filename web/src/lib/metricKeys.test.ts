import { describe, expect, it } from "vitest";
import { groupKeys, matchKeys } from "./metricKeys";

describe("metric key groups", () => {
  it("puts train/ and val/ first, other prefixes next, ungrouped keys after them and system last", () => {
    const groups = groupKeys(["val/loss", "system/cpu", "loss", "train/loss", "acc", "train/lr", "grad/norm"]);
    expect(groups).toEqual([
      { name: "train", keys: ["train/loss", "train/lr"] },
      { name: "val", keys: ["val/loss"] },
      { name: "grad", keys: ["grad/norm"] },
      { name: "", keys: ["acc", "loss"] },
      { name: "system", keys: ["system/cpu"] },
    ]);
  });

  it("sorts numbered keys naturally", () => {
    expect(groupKeys(["l10", "l2", "l1"])[0].keys).toEqual(["l1", "l2", "l10"]);
  });

  it("matches by substring or /regex/", () => {
    const keys = ["train/loss", "val/loss", "val/acc"];
    expect(matchKeys(keys, "LOSS")).toEqual(["train/loss", "val/loss"]);
    expect(matchKeys(keys, "/^val/")).toEqual(["val/loss", "val/acc"]);
    expect(matchKeys(keys, "/[/")).toEqual([]);
  });
});

