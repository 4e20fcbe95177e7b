import type { JsonNumber } from "../api/types";

/** A number from the API: non-finite values arrive as the strings "NaN", "Infinity", "-Infinity". */
export function parseJsonNumber(value: JsonNumber | null | undefined): number {
  if (typeof value === "number") return value;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return NaN;
}

/** One pass over a column into a typed array (NaN for missing or non-finite markers). */
export function toFloat64(values: readonly (JsonNumber | null)[] | undefined): Float64Array {
  const n = values?.length ?? 0;
  const out = new Float64Array(n);
  if (!values) return out;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    out[i] = typeof v === "number" ? v : parseJsonNumber(v);
  }
  return out;
}

/**
 * The column uPlot draws: non-finite values become gaps (null). With `positiveOnly` (log axes)
 * values at or below zero are gaps too.
 */
export function drawable(values: ArrayLike<number>, positiveOnly = false): (number | null)[] {
  const n = values.length;
  const out = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) && (!positiveOnly || v > 0) ? v : null;
  }
  return out;
}

export function isNumeric(value: unknown): value is number {
  return typeof value === "number" && !Number.isNaN(value);
}

/** A column as a growable number array (live points are appended to it). */
export function toNumberArray(values: readonly (JsonNumber | null)[] | undefined): number[] {
  const n = values?.length ?? 0;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = (values as readonly (JsonNumber | null)[])[i];
    out[i] = typeof v === "number" ? v : parseJsonNumber(v);
  }
  return out;
}
