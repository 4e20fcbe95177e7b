import { describe, expect, it } from "vitest";
import { appendChunk, EMPTY_LOG, prependChunk, splitLines } from "./logBuffer";

describe("log buffer", () => {
  it("splits whole lines, dropping the final newline and CRs", () => {
    expect(splitLines("a\r\nb\n")).toEqual(["a", "b"]);
    expect(splitLines("")).toEqual([]);
  });

  it("appends chunks that continue the buffer", () => {
    let b = appendChunk(EMPTY_LOG, { text: "a\nb\n", offset: 100, next_offset: 104 }, 10);
    b = appendChunk(b, { text: "c\n", offset: 104, next_offset: 106 }, 10);
    expect(b).toEqual({ lines: ["a", "b", "c"], start: 100, end: 106, dropped: 0 });
  });

  it("trims an overlapping chunk by bytes, not characters", () => {
    let b = appendChunk(EMPTY_LOG, { text: "é\n", offset: 0, next_offset: 3 }, 10);
    b = appendChunk(b, { text: "é\nnext\n", offset: 0, next_offset: 8 }, 10);
    expect(b.lines).toEqual(["é", "next"]);
    expect(appendChunk(b, { text: "é\n", offset: 0, next_offset: 3 }, 10)).toBe(b);
  });

  it("caps the number of lines and counts what it dropped", () => {
    const b = appendChunk(EMPTY_LOG, { text: "1\n2\n3\n4\n", offset: 0, next_offset: 8 }, 3);
    expect(b.lines).toEqual(["2", "3", "4"]);
    expect(b.dropped).toBe(1);
  });

  it("prepends earlier lines", () => {
    const b = appendChunk(EMPTY_LOG, { text: "c\n", offset: 4, next_offset: 6 }, 10);
    expect(prependChunk(b, { text: "a\nb\n", offset: 0, next_offset: 4 })).toMatchObject({ lines: ["a", "b", "c"], start: 0 });
  });
});
