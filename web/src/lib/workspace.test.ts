import { describe, expect, it } from "vitest";
import {
  addKeyVsKeyPanel,
  addPanel,
  arrange,
  EMPTY_WORKSPACE,
  panelKeys,
  removePanel,
  moveBefore,
  parseViews,
  parseWorkspace,
  STEP_AXIS,
  togglePin,
  toggleHidden,
  toggleWide,
  withView,
} from "./workspace";

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
      { id: "train/loss+val/loss", kind: "keys", keys: ["train/loss", "val/loss"] },
      { id: "train/loss+val/loss#2", kind: "keys", keys: ["train/loss", "val/loss"] },
    ]);
    expect(addPanel(ws, [])).toBe(ws);
    expect(removePanel(ws, "train/loss+val/loss").panels.map((p) => p.id)).toEqual(["train/loss+val/loss#2"]);
    expect(parseWorkspace(JSON.parse(JSON.stringify(ws)))).toEqual(ws);
  });

  it("adds key-vs-key panels, against another key or the step, and lists the keys they read", () => {
    let ws = addKeyVsKeyPanel(EMPTY_WORKSPACE, "train/loss", "val/acc");
    ws = addKeyVsKeyPanel(ws, STEP_AXIS, "学习率");
    ws = addKeyVsKeyPanel(ws, "train/loss", "val/acc");
    expect(ws.panels).toEqual([
      { id: "val/acc@train/loss", kind: "xy", x: "train/loss", y: "val/acc" },
      { id: "学习率@_step", kind: "xy", x: "_step", y: "学习率" },
      { id: "val/acc@train/loss#2", kind: "xy", x: "train/loss", y: "val/acc" },
    ]);
    expect(addKeyVsKeyPanel(ws, "val/acc", "val/acc")).toBe(ws);
    expect(ws.panels.map(panelKeys)).toEqual([["train/loss", "val/acc"], ["学习率"], ["train/loss", "val/acc"]]);
  });

  it("serializes every panel kind and reads panels saved before kinds existed", () => {
    let ws = addPanel(togglePin(EMPTY_WORKSPACE, "val/acc"), ["train/loss", "val/loss"]);
    ws = toggleWide(addKeyVsKeyPanel(ws, "train/loss", "val/acc"), "train/loss");
    expect(parseWorkspace(JSON.parse(JSON.stringify(ws)))).toEqual(ws);
    expect(
      parseWorkspace({
        panels: [
          { id: "old", keys: ["train/loss", "val/loss"] },
          { id: "xy", kind: "xy", x: "train/loss" },
          { id: "future", kind: "heatmap", keys: ["a"] },
        ],
      }).panels,
    ).toEqual([{ id: "old", kind: "keys", keys: ["train/loss", "val/loss"] }]);
  });

  it("saves a view in its scope and leaves other scopes and views alone", () => {
    const views = parseViews({ vision: { default: { pinned: ["val/acc"] } }, compare: { default: {}, "loss first": { pinned: ["train/loss"] } } });
    const next = withView(views, "compare", "default", togglePin(EMPTY_WORKSPACE, "val/loss"));
    expect(next.vision).toBe(views.vision);
    expect(next.compare["loss first"].pinned).toEqual(["train/loss"]);
    expect(next.compare.default.pinned).toEqual(["val/loss"]);
    expect(withView({}, "compare", "a b.c", EMPTY_WORKSPACE)).toEqual({ compare: { "a b.c": EMPTY_WORKSPACE } });
  });
});
