import { describe, expect, it } from "vitest";
import { loginUrl, safeNext } from "./session";

describe("safeNext", () => {
  it("keeps same-origin paths with their query", () => {
    expect(safeNext("/runs/abc?tab=charts")).toBe("/runs/abc?tab=charts");
  });

  it("refuses other origins and the login page itself", () => {
    for (const bad of ["https://evil.example/", "//evil.example", "/\\evil", "runs", "", null, "/login?next=/x"]) {
      expect(safeNext(bad)).toBe("/");
    }
  });
});

describe("loginUrl", () => {
  it("encodes where to come back to", () => {
    expect(loginUrl("/compare?ids=a&ids=b")).toBe("/login?next=%2Fcompare%3Fids%3Da%26ids%3Db");
  });
});
