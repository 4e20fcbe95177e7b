import { describe, expect, it } from "vitest";

import { withQuery } from "./client";

describe("withQuery", () => {
  it("sends each metric key as its own parameter, so keys with commas survive", () => {
    const url = withQuery("/api/metrics/r1", { keys: ["lr,warmup", "train/loss"], x: "step" });
    const params = new URL(url, "http://viewer").searchParams;
    expect(params.getAll("keys")).toEqual(["lr,warmup", "train/loss"]);
    expect(params.get("x")).toBe("step");
  });

  it("leaves out empty values", () => {
    expect(withQuery("/api/x", { a: undefined, b: null, c: "", d: 0 })).toBe("/api/x?d=0");
  });
});
