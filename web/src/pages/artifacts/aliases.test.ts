import { describe, expect, it } from "vitest";
import { aliasPairs, aliasProblem, editableAliases, withAlias, withoutAlias } from "./aliases";

describe("aliases", () => {
  it("accepts the names the server accepts and says why others are refused", () => {
    expect(aliasProblem("champion")).toBeNull();
    expect(aliasProblem("best-val_acc.2")).toBeNull();
    expect(aliasProblem("")).toBe("empty");
    expect(aliasProblem("latest")).toBe("latest");
    expect(aliasProblem("v3")).toBe("version");
    expect(aliasProblem("12")).toBe("version");
    expect(aliasProblem("-best")).toBe("invalid");
    expect(aliasProblem("has space")).toBe("invalid");
    expect(aliasProblem("冠军")).toBe("invalid");
    expect(aliasProblem("a".repeat(65))).toBe("invalid");
  });

  it("edits the user's aliases and never sends latest", () => {
    expect(editableAliases(["latest", "champion", "champion"])).toEqual(["champion"]);
    expect(withAlias(["latest", "candidate"], "champion")).toEqual(["candidate", "champion"]);
    expect(withAlias(["champion"], "champion")).toEqual(["champion"]);
    expect(withoutAlias(["latest", "candidate", "champion"], "candidate")).toEqual(["champion"]);
  });

  it("lists an artifact's aliases newest version first without latest", () => {
    expect(aliasPairs({ latest: 3, stable: 1, champion: 2, best: 2 })).toEqual([
      ["best", 2],
      ["champion", 2],
      ["stable", 1],
    ]);
  });
});
