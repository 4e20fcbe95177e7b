import { describe, expect, it } from "vitest";
import { parseAnsi, stripAnsi } from "./ansi";

describe("parseAnsi", () => {
  it("splits a line into styled segments", () => {
    const segments = parseAnsi("\u001b[1;31mERROR\u001b[0m done");
    expect(segments).toEqual([
      { text: "ERROR", style: { bold: true, fg: "var(--ansi-red)" } },
      { text: " done", style: {} },
    ]);
  });

  it("understands bright, 256-colour and true-colour codes", () => {
    expect(parseAnsi("\u001b[92mok")[0].style.fg).toBe("var(--ansi-bright-green)");
    expect(parseAnsi("\u001b[38;5;196mx")[0].style.fg).toBe("rgb(255,0,0)");
    expect(parseAnsi("\u001b[48;2;1;2;3mx")[0].style.bg).toBe("rgb(1,2,3)");
  });

  it("drops cursor movement and other escapes", () => {
    expect(stripAnsi("\u001b[2K\u001b[1Gepoch 1\u001b]0;title\u0007")).toBe("epoch 1");
  });

  it("returns plain text untouched", () => {
    expect(parseAnsi("plain")).toEqual([{ text: "plain", style: {} }]);
  });
});
