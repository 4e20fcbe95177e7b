import { flatten } from "../../lib/configDiff";
import { formatValue } from "../../lib/format";

export interface KeyValueRow {
  key: string;
  value: unknown;
}

/** A nested object as sorted rows of dotted keys. */
export function rowsOf(value: unknown): KeyValueRow[] {
  return Object.entries(flatten(value))
    .map(([key, v]) => ({ key, value: v }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** Rows whose key or value contains `query` (case-insensitive). */
export function filterRows(rows: KeyValueRow[], query: string): KeyValueRow[] {
  const q = query.trim().toLowerCase();
  if (!q) return rows;
  return rows.filter((r) => r.key.toLowerCase().includes(q) || formatValue(r.value).toLowerCase().includes(q));
}
