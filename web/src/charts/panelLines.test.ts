import { describe, expect, it } from "vitest";
import { colorAt } from "../lib/palette";
import { memberOf, panelLines } from "./panelLines";

const keys = ["train/loss", "val/loss"];

describe("a custom panel's lines", () => {
  it("gives each key a colour of its own on one run's page", () => {
    const out = panelLines([{ id: "r1", label: "resnet", color: "#123456", members: ["r1"] }], keys);
    expect(out.map((o) => [o.line.label, o.line.color, o.dash])).toEqual([
      ["train/loss", colorAt(0), undefined],
      ["val/loss", colorAt(1), undefined],
    ]);
    expect(out[1].line.members).toEqual([memberOf("val/loss", "r1")]);
  });

  it("keeps each compared run's colour and tells the keys apart by dash", () => {
    const lines = [
      { id: "r1", label: "lr=0.1", color: "#aa0000", members: ["r1"] },
      { id: "r2", label: "lr=0.01", color: "#00aa00", members: ["r2"] },
    ];
    const out = panelLines(lines, keys);
    expect(out.map((o) => o.line.label)).toEqual(["lr=0.1 · train/loss", "lr=0.01 · train/loss", "lr=0.1 · val/loss", "lr=0.01 · val/loss"]);
    expect(out.map((o) => o.line.color)).toEqual(["#aa0000", "#00aa00", "#aa0000", "#00aa00"]);
    expect(out[0].dash).toBeUndefined();
    expect(out[2].dash).toEqual([6, 4]);
    // A run's line id is its member id, as the compare table looks runs up by line id.
    expect(out.every((o) => o.line.members.length === 1 && o.line.id === o.line.members[0])).toBe(true);
  });

  it("keeps a group's members, one member id per key and run", () => {
    const out = panelLines(
      [
        { id: "group:adam", label: "optimizer=adam", color: "#aa0000", members: ["r1", "r2"] },
        { id: "group:sgd", label: "optimizer=sgd", color: "#00aa00", members: ["r3"] },
      ],
      ["val/loss"],
    );
    expect(out[0].line.members).toEqual([memberOf("val/loss", "r1"), memberOf("val/loss", "r2")]);
    expect(new Set(out.flatMap((o) => o.line.members)).size).toBe(3);
  });
});
