import { describe, expect, it } from "vitest";
import { addPanel, arrange, EMPTY_WORKSPACE, removePanel, moveBefore, parseViews, parseWorkspace, togglePin, toggleHidden, toggleWide } from "./workspace";

const keys = ["train/loss", "train/acc", "val/loss", "val/acc"];

describe("workspace", () => {
  it("draws pinned charts first, in pin order, and leaves them out of their sections", () => {
    let ws = togglePin(EMPTY_WORKSPACE, "val/acc");
    ws = togglePin(ws, "train/acc");
    expect(arrange(ws, keys)).toEqual({ pinned: ["val/acc", "train/acc"], rest: ["train/loss", "val/loss"], hidden: [] });
    expect(togglePin(ws, "val/acc").pinned).toEqual(["train/acc"]);
  });

  it("hides charts and unpins what it hides", () => {
    const ws = toggleHidden(togglePin(EMPTY_WORKSPACE, "val/loss"), "val/loss");
    expect(arrange(ws, keys)).toEqual({ pinned: [], rest: ["train/loss", "train/acc", "val/acc"], hidden: ["val/loss"] });
    expect(toggleHidden(ws, "val/loss").hidden).toEqual([]);
  });

  it("moves a chart before another and keeps that order for keys logged later", () => {
    const ws = moveBefore(EMPTY_WORKSPACE, keys, "val/acc", "train/loss");
    expect(arrange(ws, keys).rest).toEqual(["val/acc", "train/loss", "train/acc", "val/loss"]);
    // Another run of the project with one more key: the arranged ones keep their order.
    expect(arrange(ws, [...keys, "lr"]).rest).toEqual(["val/acc", "train/loss", "train/acc", "val/loss", "lr"]);
    // A run lacking a key: the others keep their order and the missing key is not lost.
    expect(arrange(ws, ["train/loss", "val/acc"]).rest).toEqual(["val/acc", "train/loss"]);
    expect(ws.order).toContain("val/loss");
  });

  it("reorders pinned charts among themselves", () => {
    let ws = togglePin(togglePin(EMPTY_WORKSPACE, "train/loss"), "val/loss");
    ws = moveBefore(ws, keys, "val/loss", "train/loss");
    expect(arrange(ws, keys).pinned).toEqual(["val/loss", "train/loss"]);
  });

  it("marks charts wide and back", () => {
    const ws = toggleWide(EMPTY_WORKSPACE, "train/loss");
    expect(ws.sizes).toEqual({ "train/loss": "wide" });
    expect(toggleWide(ws, "train/loss").sizes).toEqual({});
  });

  it("reads stored views defensively", () => {
    expect(parseWorkspace(null)).toEqual(EMPTY_WORKSPACE);
    expect(parseWorkspace({ pinned: ["a", 3, "a"], sizes: { a: "wide", b: "huge" }, panels: [{ id: "p", keys: [] }, 4] })).toEqual({
      panels: [],
      pinned: ["a"],
      order: [],
      hidden: [],
      sizes: { a: "wide" },
    });
    expect(parseViews({ vision: { default: { pinned: ["学习率"] } }, bad: 3 })).toEqual({
      vision: { default: { panels: [], pinned: ["学习率"], order: [], hidden: [], sizes: {} } },
    });
  });

  it("adds custom panels of several keys with unique ids and removes them", () => {
    let ws = addPanel(EMPTY_WORKSPACE, ["train/loss", "val/loss", "train/loss"]);
    ws = addPanel(ws, ["train/loss", "val/loss"]);
    expect(ws.panels).toEqual([
      { id: "train/loss+val/loss", keys: ["train/loss", "val/loss"] },
      { id: "train/loss+val/loss#2", keys: ["train/loss", "val/loss"] },
    ]);
    expect(addPanel(ws, [])).toBe(ws);
    expect(removePanel(ws, "train/loss+val/loss").panels.map((p) => p.id)).toEqual(["train/loss+val/loss#2"]);
    expect(parseWorkspace(JSON.parse(JSON.stringify(ws)))).toEqual(ws);
  });
});
