import { describe, expect, it } from "vitest";
import { GROUP_PALETTE } from "./groupPalette";
import { colorAt, PALETTE } from "./palette";

describe("run palette", () => {
  it("gives 20 distinct colours before repeating, none shared with the group palette", () => {
    const first = Array.from({ length: 20 }, (_, i) => colorAt(i));
    expect(new Set(first).size).toBe(20);
    expect(first.every((c) => /^#[0-9a-f]{6}$/.test(c))).toBe(true);
    expect(colorAt(PALETTE.length)).toBe(colorAt(0));
    expect(first.filter((c) => (GROUP_PALETTE as readonly string[]).includes(c))).toEqual([]);
  });
});
