import { describe, expect, it } from "vitest";
import { interpolate } from "./context";
import { en } from "./en";
import { zh } from "./zh";

// `{n}` and the counted `{n, plural, one {…} other {…}}` both name the placeholder n.
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]).sort();

describe("translations", () => {
  it("have a Chinese text for every English key, and no extra ones", () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it("keep every placeholder in both languages", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("are not left empty", () => {
    for (const [key, text] of Object.entries(zh)) expect(text.trim(), key).not.toBe("");
  });

  it("fill placeholders and leave unknown ones visible", () => {
    expect(interpolate("{n} runs, {x}", { n: 3 })).toBe("3 runs, {x}");
  });

  it("say 1 run and 2 runs, and the count in Chinese without a plural", () => {
    const runs = en["runs.count"];
    expect(interpolate(runs, { n: 1 }, "en")).toBe("1 run");
    expect(interpolate(runs, { n: 0 }, "en")).toBe("0 runs");
    expect(interpolate(runs, { n: 2 }, "en")).toBe("2 runs");
    expect(interpolate(en["logs.dropped"], { n: 1 }, "en")).toMatch(/^1 earlier line is not shown/);
    expect(interpolate(en["remote.session.reconnectsValue"], { r: 1, v: 3 }, "en")).toBe("1 reconnect, 3 viewer restarts");
    expect(interpolate(zh["runs.count"], { n: 1 }, "zh-CN")).toBe("1 个运行");
  });

  it("leave no English message counting a plural noun without a plural form", () => {
    for (const [key, text] of Object.entries(en)) {
      expect(text, key).not.toMatch(/\{\w+\} (runs|points|lines|viewers|alerts|CPUs|entries|reconnects)\b/);
    }
  });
});
