import { describe, expect, it } from "vitest";
import { andFilters, checkFilter, composeFilter, fieldProblem, quoteField, quoteValue, tokenize, wordAt } from "./filterSyntax";

function errorOf(source: string) {
  const result = checkFilter(source);
  if (result.ok) throw new Error(`expected "${source}" to be refused`);
  return result;
}

describe("tokenize", () => {
  it("splits fields, operators, values and punctuation", () => {
    const tokens = tokenize("config.lr<=1e-3 and status in (running,crashed)");
    expect(tokens.map((t) => [t.kind, t.value])).toEqual([
      ["word", "config.lr"],
      ["op", "<="],
      ["word", "1e-3"],
      ["word", "and"],
      ["word", "status"],
      ["word", "in"],
      ["lparen", "("],
      ["word", "running"],
      ["comma", ","],
      ["word", "crashed"],
      ["rparen", ")"],
    ]);
  });

  it("reads quoted strings with escapes, and quoted keys inside a field", () => {
    const tokens = tokenize(`config."batch size" = "a \\"b\\"" and tag:"two words"`);
    expect(tokens[0]).toMatchObject({ kind: "word", value: "config.batch size", start: 0, end: 19 });
    expect(tokens[2]).toMatchObject({ kind: "string", value: 'a "b"' });
    expect(tokens[4]).toMatchObject({ kind: "word", value: "tag:two words" });
  });

  it("records source positions", () => {
    const [, op] = tokenize("name  != x");
    expect(op).toMatchObject({ start: 6, end: 8 });
  });
});

describe("checkFilter", () => {
  it.each([
    "",
    "config.lr < 1e-3 and summary.acc > 0.9 and tag:baseline",
    "status in (running, crashed)",
    'name contains resnet or project = "vision"',
    "created_at > 2026-11-01",
    "not (tag:old or config.optimizer.lr exists)",
    'metrics."val/loss".min < 0.3',
    "metrics.loss.last >= 0.5 AND NOT status = failed",
    "config.flag = TRUE and summary.note = null",
    "metrics.loss < 0.5 and last_step > 100",
  ])("accepts %s", (source) => {
    expect(checkFilter(source).ok).toBe(true);
  });

  it("points at an unknown field", () => {
    const error = errorOf("config.lr < 1 and sumary.acc > 0.9");
    expect(error.position).toBe(18);
    expect(error.message).toContain("unknown field 'sumary.acc'");
  });

  it("points at the end when a value is missing", () => {
    const error = errorOf("config.lr <");
    expect(error.position).toBe(11);
    expect(error.message).toContain("expected a value");
  });

  it("asks for an operator after a field", () => {
    expect(errorOf("config.lr 3").position).toBe(10);
  });

  it("wants the closing parenthesis", () => {
    const error = errorOf("(tag:a or tag:b");
    expect(error.position).toBe(15);
    expect(error.message).toContain("')'");
  });

  it("refuses an unterminated string at its opening quote", () => {
    expect(errorOf('name = "abc').position).toBe(7);
  });

  it("refuses a misspelled status", () => {
    const error = errorOf("status in (running, crashd)");
    expect(error.position).toBe(20);
    expect(error.message).toContain("crashd");
  });

  it("refuses conditions that are not joined", () => {
    expect(errorOf("tag:a tag:b").position).toBe(6);
  });

  it("reads metrics.<key> alone as its last value, and needs a key after a root", () => {
    expect(fieldProblem("metrics.loss")).toBeNull();
    expect(fieldProblem("metrics.val/loss.max")).toBeNull();
    expect(fieldProblem("metrics")).toContain("metrics.<key>");
    expect(fieldProblem("config")).toContain("config.<key>");
    expect(fieldProblem("hostname")).toBeNull();
  });
});

describe("composing filters", () => {
  it("quotes values and fields only when needed", () => {
    expect(quoteValue("vision")).toBe("vision");
    expect(quoteValue("my project")).toBe('"my project"');
    expect(quoteValue("and")).toBe('"and"');
    expect(quoteValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteField("config", "optimizer.lr")).toBe("config.optimizer.lr");
    expect(quoteField("config", "batch size")).toBe('config."batch size"');
    expect(quoteField("metrics", "val/loss")).toBe('metrics."val/loss"');
  });

  it("parenthesizes or-expressions when joining with and", () => {
    expect(andFilters(["project = a", "tag:x or tag:y", "", null])).toBe("project = a and (tag:x or tag:y)");
    expect(andFilters(["status = running"])).toBe("status = running");
  });

  it("maps a server position back into the user's text", () => {
    const user = "summary.acc > x";
    const { expression, userStart } = composeFilter(["project = vision"], user);
    expect(expression).toBe("project = vision and (summary.acc > x)");
    const serverPosition = expression.indexOf("x)");
    expect(serverPosition - userStart).toBe(user.indexOf("x"));
    expect(composeFilter([], "  tag:a")).toEqual({ expression: "tag:a", userStart: -2 });
  });

  it("finds the word under the caret", () => {
    expect(wordAt("config.lr < 3 and summ", 22)).toEqual({ word: "summ", start: 18, end: 22 });
  });
});

describe("alerts field", () => {
  it("accepts the alert count of a run, as the server does", () => {
    expect(checkFilter("alerts > 0").ok).toBe(true);
    expect(fieldProblem("alerts")).toBeNull();
  });
});
