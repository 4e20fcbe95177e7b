/**
 * CSV as spreadsheets read it (RFC 4180): fields with a comma, quote or line break are quoted,
 * quotes doubled; numbers at full precision; NaN and infinities spelled as Python writes them.
 */
export function csvField(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = "";
  else if (typeof value === "number") text = Number.isNaN(value) ? "nan" : value === Infinity ? "inf" : value === -Infinity ? "-inf" : String(value);
  else if (typeof value === "string") text = value;
  else if (typeof value === "boolean") text = value ? "true" : "false";
  else text = JSON.stringify(value);
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header line and one line per row, CRLF-separated, with a BOM so Excel reads UTF-8. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [header.map(csvField).join(","), ...rows.map((row) => row.map(csvField).join(","))];
  return `\ufeff${lines.join("\r\n")}\r\n`;
}
