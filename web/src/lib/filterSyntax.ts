/**
 * A client-side reading of the v2 filter grammar (docs/api.md), for instant feedback while typing
 * and for composing the page's quick filters. The server is the authority: an expression this
 * accepts may still be refused, and the server's message is then the one shown.
 */
import { RUN_STATUSES } from "../api/types";

export type TokenKind = "lparen" | "rparen" | "comma" | "op" | "string" | "word";

export interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  text: string;
  /** The unquoted value for strings; the text otherwise. */
  value: string;
  start: number;
  end: number;
}

export interface FilterError {
  message: string;
  position: number;
}

export type FilterCheck = { ok: true; tokens: Token[] } | ({ ok: false } & FilterError);

const OPERATORS = ["==", "!=", "<=", ">=", "=", "<", ">"];
const BREAK = new Set([" ", "\t", "\n", "\r", "(", ")", ",", "=", "!", "<", ">", '"', "'"]);
export const KEYWORDS = new Set(["and", "or", "not", "in", "exists", "contains"]);
export const PLAIN_FIELDS = [
  "id",
  "project",
  "name",
  "status",
  "created_at",
  "ended_at",
  "duration",
  "notes",
  "tags",
  "hostname",
  "exit_reason",
  "heartbeat_at",
  "deleted_at",
  "last_step",
  "pid",
  "alerts",
] as const;
export const METRIC_AGGREGATES = ["last", "min", "max", "step", "count"] as const;

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** Reads a quoted string starting at `start` (on the quote); returns its value and end. */
function readQuoted(source: string, start: number): { value: string; end: number } {
  const quote = source[start];
  let value = "";
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i];
    if (ch === "\\" && i + 1 < source.length) {
      value += source[i + 1];
      i += 2;
      continue;
    }
    if (ch === quote) return { value, end: i + 1 };
    value += ch;
    i++;
  }
  throw new SyntaxProblem(`unterminated string: add the closing ${quote}`, start);
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    if (ch === "(" || ch === ")" || ch === ",") {
      const kind = ch === "(" ? "lparen" : ch === ")" ? "rparen" : "comma";
      tokens.push({ kind, text: ch, value: ch, start: i, end: i + 1 });
      i++;
      continue;
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (op) {
      tokens.push({ kind: "op", text: op, value: op, start: i, end: i + op.length });
      i += op.length;
      continue;
    }
    if (ch === "!") throw new SyntaxProblem("unexpected '!': use != or the word not", i);
    if (ch === '"' || ch === "'") {
      const { value, end } = readQuoted(source, i);
      tokens.push({ kind: "string", text: source.slice(i, end), value, start: i, end });
      i = end;
      continue;
    }
    // A bare word; `config."batch size"` and `tag:"two words"` continue through a quoted part.
    const start = i;
    let value = "";
    while (i < source.length) {
      const c = source[i];
      if ((c === '"' || c === "'") && (value.endsWith(".") || value.endsWith(":"))) {
        const quoted = readQuoted(source, i);
        value += quoted.value;
        i = quoted.end;
        continue;
      }
      if (BREAK.has(c)) break;
      value += c;
      i++;
    }
    tokens.push({ kind: "word", text: source.slice(start, i), value, start, end: i });
  }
  return tokens;
}

/** Why `field` is not a field of the grammar, or null when it is one. */
export function fieldProblem(field: string): string | null {
  if ((PLAIN_FIELDS as readonly string[]).includes(field)) return null;
  const dot = field.indexOf(".");
  const root = dot < 0 ? field : field.slice(0, dot);
  const rest = dot < 0 ? "" : field.slice(dot + 1);
  // metrics.<key> alone means metrics.<key>.last, so any key is a field.
  if (root === "config" || root === "summary" || root === "metrics") {
    return rest ? null : `${root} needs a key: ${root}.<key>`;
  }
  return `unknown field '${field}'; fields are ${PLAIN_FIELDS.join(", ")}, config.<key>, summary.<key>, metrics.<key>[.${METRIC_AGGREGATES.join("|")}]`;
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  parse(): void {
    if (this.tokens.length === 0) return;
    this.orExpr();
    const extra = this.peek();
    if (extra) {
      throw new SyntaxProblem(
        `unexpected '${extra.text}': join conditions with and / or`,
        extra.start,
      );
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private next(): Token | undefined {
    return this.tokens[this.index++];
  }

  private isWord(token: Token | undefined, word: string): boolean {
    return token?.kind === "word" && token.value.toLowerCase() === word;
  }

  private fail(message: string, token: Token | undefined): never {
    throw new SyntaxProblem(message, token ? token.start : this.length);
  }

  private orExpr(): void {
    this.andExpr();
    while (this.isWord(this.peek(), "or")) {
      this.next();
      this.andExpr();
    }
  }

  private andExpr(): void {
    this.notExpr();
    while (this.isWord(this.peek(), "and")) {
      this.next();
      this.notExpr();
    }
  }

  private notExpr(): void {
    if (this.isWord(this.peek(), "not")) {
      this.next();
      this.notExpr();
      return;
    }
    this.atom();
  }

  private atom(): void {
    const token = this.next();
    if (!token) this.fail("expected a condition, such as config.lr < 1e-3 or tag:baseline", token);
    if (token.kind === "lparen") {
      this.orExpr();
      const close = this.next();
      if (close?.kind !== "rparen") this.fail("expected ')' to close the '('", close);
      return;
    }
    if (token.kind !== "word" || KEYWORDS.has(token.value.toLowerCase())) {
      this.fail(`expected a field, tag:<name> or '(' but found '${token.text}'`, token);
    }
    if (token.value.toLowerCase().startsWith("tag:")) {
      if (token.value.length <= 4) this.fail("tag: needs a name, as in tag:baseline", token);
      return;
    }
    const field = token.value;
    const problem = fieldProblem(field);
    if (problem) this.fail(problem, token);

    const operator = this.next();
    if (operator?.kind === "op") {
      const value = this.value();
      if (field === "status") this.checkStatus(value);
      return;
    }
    if (this.isWord(operator, "exists")) return;
    if (this.isWord(operator, "contains")) {
      this.value();
      return;
    }
    if (this.isWord(operator, "in")) {
      const open = this.next();
      if (open?.kind !== "lparen") this.fail("expected '(' after in, as in status in (running, crashed)", open);
      for (;;) {
        const value = this.value();
        if (field === "status") this.checkStatus(value);
        const sep = this.next();
        if (sep?.kind === "rparen") return;
        if (sep?.kind !== "comma") this.fail("expected ',' or ')' in the list", sep);
      }
    }
    this.fail(
      `expected an operator after ${field}: = != < <= > >= in exists contains`,
      operator,
    );
  }

  private value(): Token {
    const token = this.next();
    if (token?.kind === "string") return token;
    if (token?.kind === "word" && !KEYWORDS.has(token.value.toLowerCase())) return token;
    return this.fail("expected a value: a number, a word or a \"quoted string\"", token);
  }

  private checkStatus(token: Token): void {
    if (!(RUN_STATUSES as readonly string[]).includes(token.value)) {
      this.fail(`unknown status '${token.value}'; statuses are ${RUN_STATUSES.join(", ")}`, token);
    }
  }
}

/** Checks `source` against the grammar; on failure says what and where (0-based). */
export function checkFilter(source: string): FilterCheck {
  try {
    const tokens = tokenize(source);
    new Parser(tokens, source.length).parse();
    return { ok: true, tokens };
  } catch (error) {
    if (error instanceof SyntaxProblem) {
      return { ok: false, message: error.message, position: error.position };
    }
    throw error;
  }
}

function quoted(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A value as the grammar reads it back: bare when it can be, quoted otherwise. */
export function quoteValue(value: string): string {
  if (/^[A-Za-z0-9_\-./]+$/.test(value) && !KEYWORDS.has(value.toLowerCase())) return value;
  return quoted(value);
}

/** A field path with any key that is not a plain identifier quoted: config."batch size". */
export function quoteField(root: string, key: string): string {
  const parts = key.split(".");
  const plain = parts.every((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p));
  return plain ? `${root}.${key}` : `${root}.${quoted(key)}`;
}

/** Joins conditions with `and`, parenthesizing any that could bind differently. */
export function andFilters(parts: (string | null | undefined)[]): string {
  const present = parts.map((p) => p?.trim() ?? "").filter(Boolean);
  if (present.length <= 1) return present[0] ?? "";
  return present.map((p) => (/\bor\b/i.test(p) ? `(${p})` : p)).join(" and ");
}

/** The word being typed at `caret`, for field completion. */
export function wordAt(source: string, caret: number): { word: string; start: number; end: number } {
  let start = caret;
  while (start > 0 && !BREAK.has(source[start - 1])) start--;
  let end = caret;
  while (end < source.length && !BREAK.has(source[end])) end++;
  return { word: source.slice(start, end), start, end };
}

/**
 * The page's own conditions (project, status, tags) joined with the user's expression, which goes
 * last so a server error position inside it maps back to the filter box: `userStart` is where the
 * user's text begins in the joined expression.
 */
export function composeFilter(conditions: string[], user: string): { expression: string; userStart: number } {
  const own = andFilters(conditions);
  const typed = user.trim();
  if (!typed) return { expression: own, userStart: 0 };
  if (!own) return { expression: typed, userStart: -user.indexOf(typed) };
  const prefix = `${own} and (`;
  return { expression: `${prefix}${typed})`, userStart: prefix.length - user.indexOf(typed) };
}
