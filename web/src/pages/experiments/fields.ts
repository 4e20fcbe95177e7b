/**
 * User-chosen table columns: config, summary and metric fields. A column's id is the v2 field
 * name the server gave in `/api/v2/fields` (metrics: that name plus `.last|.min|.max`), so the
 * same string sorts the table; values are read at the server's key path, never by re-parsing.
 */
import type { FieldsResponse, RunItem } from "../../api/types";
import { parseJsonNumber } from "../../lib/numbers";

export type FieldKind = "config" | "summary" | "metrics.last" | "metrics.min" | "metrics.max";
export const METRIC_KINDS: readonly FieldKind[] = ["metrics.last", "metrics.min", "metrics.max"];

export interface ColumnSpec {
  /** The v2 field name: stored as the column choice and sent as the sort. */
  id: string;
  kind: FieldKind;
  /** The key as users read it. */
  label: string;
  /** config/summary: the keys from the run's object down to the value. */
  path: readonly string[];
  /** metrics: the metric key. */
  metric: string;
}

function aggregate(kind: FieldKind): "last" | "min" | "max" {
  return kind === "metrics.min" ? "min" : kind === "metrics.max" ? "max" : "last";
}

/** The column id of a metric's aggregate: the server's metric name plus `.last|.min|.max`. */
export function metricColumnId(metricField: string, kind: FieldKind): string {
  return `${metricField}.${aggregate(kind)}`;
}

/** Every column the server's field list offers, by id, in the server's order. */
export function columnSpecs(fields: FieldsResponse | undefined): Map<string, ColumnSpec> {
  const specs = new Map<string, ColumnSpec>();
  if (!fields) return specs;
  for (const kind of ["config", "summary"] as const) {
    for (const entry of fields[kind]) {
      specs.set(entry.field, { id: entry.field, kind, label: entry.key, path: entry.path, metric: "" });
    }
  }
  for (const entry of fields.metrics) {
    for (const kind of METRIC_KINDS) {
      const id = metricColumnId(entry.field, kind);
      specs.set(id, { id, kind, label: entry.key, path: [], metric: entry.key });
    }
  }
  return specs;
}

/**
 * The column for a stored choice: a field name the server offers, or a choice stored by an
 * earlier version as "kind:key" ("config:lr"), matched by kind and key. Null when no live run has
 * the field (every value would be missing) or the list has not loaded yet.
 */
export function resolveColumn(id: string, specs: ReadonlyMap<string, ColumnSpec>): ColumnSpec | null {
  const direct = specs.get(id);
  if (direct) return direct;
  const colon = id.indexOf(":");
  if (colon < 0) return null;
  const kind = id.slice(0, colon);
  const key = id.slice(colon + 1);
  for (const spec of specs.values()) {
    if (spec.kind === kind && spec.label === key) return spec;
  }
  return null;
}

export function readPath(source: unknown, path: readonly string[]): unknown {
  let value = source;
  for (const key of path) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(record, key)) return undefined;
    value = record[key];
  }
  return value;
}

export function fieldValue(run: RunItem, spec: ColumnSpec): unknown {
  if (spec.kind === "config") return readPath(run.config, spec.path);
  if (spec.kind === "summary") return readPath(run.summary, spec.path);
  const stats = run.metrics[spec.metric] as RunItem["metrics"][string] | undefined;
  if (!stats) return undefined;
  const value = stats[aggregate(spec.kind)];
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

/** Splits on commas outside quotes (a quoted key may contain one); `\` escapes inside quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let escaped = false;
  let current = "";
  for (const ch of text) {
    if (quote) {
      if (escaped) escaped = false;
      else if (ch === "\\") escaped = true;
      else if (ch === quote) quote = null;
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
