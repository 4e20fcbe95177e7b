/**
 * ANSI SGR colours in console logs, turned into styled segments. Other escape sequences (cursor
 * movement, erase line) are dropped: a log view has no cursor.
 */

export interface AnsiStyle {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

export interface AnsiSegment {
  text: string;
  style: AnsiStyle;
}

/** The 16 basic colours as CSS variables, so each theme can tune them for contrast. */
const BASIC = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

function basic(index: number, bright: boolean): string {
  return `var(--ansi-${bright ? "bright-" : ""}${BASIC[index]})`;
}

function xterm256(n: number): string {
  if (n < 8) return basic(n, false);
  if (n < 16) return basic(n - 8, true);
  if (n < 232) {
    const c = n - 16;
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    return `rgb(${level(Math.floor(c / 36))},${level(Math.floor(c / 6) % 6)},${level(c % 6)})`;
  }
  const gray = 8 + (n - 232) * 10;
  return `rgb(${gray},${gray},${gray})`;
}

function applyCodes(style: AnsiStyle, codes: number[]): AnsiStyle {
  let next: AnsiStyle = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 22) {
      delete next.bold;
      delete next.dim;
    } else if (code === 23) delete next.italic;
    else if (code === 24) delete next.underline;
    else if (code >= 30 && code <= 37) next.fg = basic(code - 30, false);
    else if (code >= 90 && code <= 97) next.fg = basic(code - 90, true);
    else if (code >= 40 && code <= 47) next.bg = basic(code - 40, false);
    else if (code >= 100 && code <= 107) next.bg = basic(code - 100, true);
    else if (code === 39) delete next.fg;
    else if (code === 49) delete next.bg;
    else if (code === 38 || code === 48) {
      const target = code === 38 ? "fg" : "bg";
      if (codes[i + 1] === 5 && i + 2 < codes.length) {
        next[target] = xterm256(codes[i + 2]);
        i += 2;
      } else if (codes[i + 1] === 2 && i + 4 < codes.length) {
        next[target] = `rgb(${codes[i + 2]},${codes[i + 3]},${codes[i + 4]})`;
        i += 4;
      }
    }
  }
  return next;
}

// CSI sequences (ESC [ params final-byte) and OSC sequences (ESC ] ... BEL or ESC \).
// eslint-disable-next-line no-control-regex
const ESCAPE = /\u001b\[([0-9;?]*)([A-Za-z])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]/g;

export function parseAnsi(line: string, initial: AnsiStyle = {}): AnsiSegment[] {
  const segments: AnsiSegment[] = [];
  let style = initial;
  let last = 0;
  const push = (text: string) => {
    if (!text) return;
    const prev = segments[segments.length - 1] as AnsiSegment | undefined;
    if (prev && prev.style === style) prev.text += text;
    else segments.push({ text, style });
  };
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(line); m; m = ESCAPE.exec(line)) {
    push(line.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] === "m") {
      const codes = (m[1] || "0").split(";").map((c) => (c === "" ? 0 : Number(c)));
      style = applyCodes(style, codes);
    }
  }
  push(line.slice(last));
  return segments;
}

/** A line with every escape sequence removed, for search and copying. */
export function stripAnsi(line: string): string {
  return line.replace(ESCAPE, "");
}
