import { describe, expect, it } from "vitest";
import { csvField, toCsv } from "./csv";

describe("csv", () => {
  it("quotes what would break a field and keeps numbers exact", () => {
    expect(csvField("weight decay")).toBe("weight decay");
    expect(csvField('say "hi", twice')).toBe('"say ""hi"", twice"');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(0.1 + 0.2)).toBe("0.30000000000000004");
    expect(csvField(NaN)).toBe("nan");
    expect(csvField(-Infinity)).toBe("-inf");
    expect(csvField([0.9, 0.999])).toBe('"[0.9,0.999]"');
    expect(csvField(null)).toBe("");
    expect(csvField("学习率")).toBe("学习率");
  });

  it("writes a header and rows with CRLF after a BOM", () => {
    expect(toCsv(["name", "val/acc"], [["a", 1], ["b,c", NaN]])).toBe('\ufeffname,val/acc\r\na,1\r\n"b,c",nan\r\n');
  });
});
