import { describe, expect, it } from "vitest";
import { interpolate } from "./context";
import { en } from "./en";
import { zh } from "./zh";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

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
});
