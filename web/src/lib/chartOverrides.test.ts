import { describe, expect, it } from "vitest";
import { parseOverrides, withOverride } from "./chartOverrides";

describe("chart overrides", () => {
  it("sets, replaces and removes one chart's settings", () => {
    let all = withOverride({}, "loss", { logY: true });
    expect(all).toEqual({ loss: { logY: true } });
    all = withOverride(all, "acc", { smoothing: 0.9, x: undefined });
    expect(all).toEqual({ loss: { logY: true }, acc: { smoothing: 0.9 } });
    all = withOverride(all, "loss", { logY: undefined });
    expect(all).toEqual({ acc: { smoothing: 0.9 } });
    expect(withOverride(all, "acc", undefined)).toEqual({});
  });

  it("reads stored settings defensively", () => {
    expect(parseOverrides(null)).toEqual({});
    expect(parseOverrides([1, 2])).toEqual({});
    expect(
      parseOverrides({ loss: { logY: true, smoothing: "0.5" }, bad: 3, empty: {}, t: { x: "time" } }),
    ).toEqual({ loss: { logY: true }, t: { x: "time" } });
  });
});
