/** User-chosen table columns: config, summary and metric fields, and their sort expressions. */
import type { RunItem } from "../../api/types";
import { getPath } from "../../lib/configDiff";
import { quoteField } from "../../lib/filterSyntax";
import { parseJsonNumber } from "../../lib/numbers";

export type FieldKind = "config" | "summary" | "metrics.last" | "metrics.min" | "metrics.max";
export const METRIC_KINDS: readonly FieldKind[] = ["metrics.last", "metrics.min", "metrics.max"];

export interface FieldSpec {
  kind: FieldKind;
  key: string;
}

/** The stored form of a column choice: "config:lr", "metrics.min:val/loss". */
export function fieldId(spec: FieldSpec): string {
  return `${spec.kind}:${spec.key}`;
}

export function parseFieldId(id: string): FieldSpec | null {
  const colon = id.indexOf(":");
  if (colon < 0) return null;
  const kind = id.slice(0, colon) as FieldKind;
  const key = id.slice(colon + 1);
  if (!key || !["config", "summary", ...METRIC_KINDS].includes(kind)) return null;
  return { kind, key };
}

/** The v2 grammar's name for the field, used to sort and filter by it. */
export function fieldExpression(spec: FieldSpec): string {
  if (spec.kind === "config" || spec.kind === "summary") return quoteField(spec.kind, spec.key);
  const agg = spec.kind.slice("metrics.".length);
  return `${quoteField("metrics", spec.key)}.${agg}`;
}

export function fieldValue(run: RunItem, spec: FieldSpec): unknown {
  if (spec.kind === "config") return getPath(run.config, spec.key);
  if (spec.kind === "summary") return getPath(run.summary, spec.key);
  const stats = run.metrics[spec.key] as RunItem["metrics"][string] | undefined;
  if (!stats) return undefined;
  const value = stats[spec.kind === "metrics.last" ? "last" : spec.kind === "metrics.min" ? "min" : "max"];
  return value === null ? null : parseJsonNumber(value);
}

export interface SortKey {
  field: string;
  desc: boolean;
}

export function parseSort(sort: string): SortKey[] {
  return splitTopLevel(sort)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => (part.startsWith("-") ? { field: part.slice(1), desc: true } : { field: part, desc: false }));
}

export function encodeSort(keys: readonly SortKey[]): string {
  return keys.map((k) => (k.desc ? `-${k.field}` : k.field)).join(",");
}

/** Splits on commas outside quotes (a quoted key may contain one). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let current = "";
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ",") {
      parts.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

/**
 * The next sort after clicking a column: descending, then ascending, then off. With `additive`
 * (shift-click) the column is added to or cycled within the existing keys.
 */
export function nextSort(current: readonly SortKey[], field: string, additive: boolean): SortKey[] {
  const existing = current.find((k) => k.field === field);
  const cycled: SortKey | null = !existing
    ? { field, desc: true }
    : existing.desc
      ? { field, desc: false }
      : null;
  if (!additive) return cycled ? [cycled] : [];
  if (!existing) return [...current, { field, desc: true }];
  return current.flatMap((k) => (k.field === field ? (cycled ? [cycled] : []) : [k]));
}
