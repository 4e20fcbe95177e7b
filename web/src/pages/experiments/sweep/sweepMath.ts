/**
 * The numbers behind the sweep views: runs turned into one column per chosen field, scales from
 * values to pixels, brushes turned into a selection mask and into the filter expression the runs
 * table asks the server with. Pure functions, so the views only draw.
 */
import type { RunItem } from "../../../api/types";
import { quoteValue } from "../../../lib/filterSyntax";
import { fieldValue, type ColumnSpec } from "../fields";

/** A field's values for every run: numbers, or the index of a category (NaN when missing). */
export interface SweepAxis {
  field: string;
  label: string;
  kind: "numeric" | "category";
  values: Float64Array;
  /** Category names in display order (category axes only). */
  categories: string[];
  /** The finite range of `values` ([0, 0] when there is none). */
  min: number;
  max: number;
  /** A log scale reads a positive sweep over several decades (learning rates) best. */
  log: boolean;
  /** Some values are lists (`optimizer.betas`): each list is one category, named by its JSON. */
  lists: boolean;
}

/** A category's name: text as is, anything else (a list, a boolean) as the browser's JSON of it. */
export function categoryLabel(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** One axis from the runs' values of one field. Text values (and lists) make a category axis. */
export function buildAxis(runs: readonly RunItem[], spec: ColumnSpec): SweepAxis {
  const raw = runs.map((run) => fieldValue(run, spec));
  const numeric = raw.every((v) => v === undefined || v === null || typeof v === "number");
  const values = new Float64Array(runs.length);
  let categories: string[] = [];
  if (numeric) {
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i];
      values[i] = typeof v === "number" ? v : NaN;
    }
  } else {
    const labels = raw.map((v) => (v === undefined || v === null ? null : categoryLabel(v)));
    categories = [...new Set(labels.filter((l): l is string => l !== null))].sort((a, b) =>
      a.localeCompare(b, undefined, { numeric: true }),
    );
    const index = new Map(categories.map((c, i) => [c, i]));
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      values[i] = label === null ? NaN : (index.get(label) ?? NaN);
    }
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) {
    min = 0;
    max = 0;
  }
  if (!numeric) {
    min = 0;
    max = Math.max(0, categories.length - 1);
  }
  const log = numeric && min > 0 && max / min >= 100;
  const lists = raw.some((v) => Array.isArray(v));
  return { field: spec.id, label: spec.label, kind: numeric ? "numeric" : "category", values, categories, min, max, log, lists };
}

/** Maps an axis value to 0..1 (0 = the axis minimum); NaN for values the axis cannot place. */
export function normalize(axis: SweepAxis, value: number): number {
  if (!Number.isFinite(value)) return NaN;
  if (axis.kind === "category" && axis.categories.length <= 1) return 0.5;
  if (axis.max === axis.min) return 0.5;
  if (axis.log) {
    if (value <= 0) return NaN;
    return (Math.log(value) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min));
  }
  return (value - axis.min) / (axis.max - axis.min);
}

/** The axis value at position `t` (0..1): the inverse of `normalize`. */
export function denormalize(axis: SweepAxis, t: number): number {
  if (axis.max === axis.min) return axis.min;
  if (axis.log) return Math.exp(Math.log(axis.min) + t * (Math.log(axis.max) - Math.log(axis.min)));
  return axis.min + t * (axis.max - axis.min);
}

/** About `count` round tick values across a linear range (1, 2 or 5 times a power of ten). */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const span = max - min;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  const first = Math.ceil(min / step);
  const last = Math.floor(max / step);
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Tick values for an axis: categories by index, decades on a log axis, round numbers otherwise. */
export function axisTicks(axis: SweepAxis, count = 5): number[] {
  if (axis.kind === "category") {
    const n = axis.categories.length;
    const every = Math.max(1, Math.ceil(n / 12));
    return axis.categories.map((_, i) => i).filter((i) => i % every === 0);
  }
  if (axis.log) {
    const ticks: number[] = [];
    for (let e = Math.ceil(Math.log10(axis.min)); e <= Math.floor(Math.log10(axis.max)); e++) ticks.push(Number(`1e${e}`));
    return ticks.length >= 2 ? ticks : [axis.min, axis.max];
  }
  return linearTicks(axis.min, axis.max, count);
}

/**
 * A brushed interval on one axis, in axis values (inclusive). On a category axis the brush also
 * names the categories it covers, so the selection means the same once new categories arrive.
 * `lists` marks an axis of list values: the filter grammar cannot name a list, so such a brush
 * is applied in the browser (see `brushRunFilter`), never sent to the server.
 */
export interface Brush {
  field: string;
  lo: number;
  hi: number;
  categories?: string[];
  lists?: boolean;
}

/** The brush over [lo, hi] on `axis`, naming the covered categories on a category axis. */
export function makeBrush(axis: SweepAxis, lo: number, hi: number): Brush {
  const [a, b] = lo <= hi ? [lo, hi] : [hi, lo];
  if (axis.kind === "numeric") return { field: axis.field, lo: a, hi: b };
  const categories = axis.categories.filter((_, i) => i >= a && i <= b);
  return axis.lists ? { field: axis.field, lo: a, hi: b, categories, lists: true } : { field: axis.field, lo: a, hi: b, categories };
}

/**
 * Which runs pass every brush: 1 for runs inside all brushed intervals, 0 otherwise. A run with
 * no value on a brushed axis is outside it. Brushes on fields that are not axes are ignored.
 */
export function brushMask(axes: readonly SweepAxis[], brushes: readonly Brush[], runs: number): Uint8Array {
  const mask = new Uint8Array(runs).fill(1);
  for (const brush of brushes) {
    const axis = axes.find((a) => a.field === brush.field);
    if (!axis) continue;
    let lo = Math.min(brush.lo, brush.hi);
    let hi = Math.max(brush.lo, brush.hi);
    const values = axis.values;
    if (axis.kind === "category" && brush.categories) {
      const inside = new Set(brush.categories);
      const member = axis.categories.map((c) => inside.has(c));
      for (let i = 0; i < runs; i++) {
        const v = values[i];
        if (!(v >= 0 && member[v])) mask[i] = 0;
      }
      continue;
    }
    if (axis.kind === "category") {
      lo = Math.ceil(lo);
      hi = Math.floor(hi);
    }
    for (let i = 0; i < runs; i++) {
      const v = values[i];
      if (!(v >= lo && v <= hi)) mask[i] = 0;
    }
  }
  return mask;
}

/**
 * The brushes as conditions of the v2 filter grammar, so the runs table asks the server for
 * exactly the brushed runs: a numeric interval is `field >= lo and field <= hi`, a brush on a
 * category axis is `field in (...)` of the categories it covers. Brushes on list axes are left
 * out: the server's text of a list differs from the browser's (`[1.0,0.5]` against `[1,0.5]`;
 * PostgreSQL compares no list as text), so `brushRunFilter` applies them.
 */
export function brushConditions(brushes: readonly Brush[]): string[] {
  return brushes.filter((brush) => !brush.lists).map((brush) => {
    if (brush.categories) {
      const covered = brush.categories.length ? brush.categories : [""];
      return `${brush.field} in (${covered.map((c) => quoteValue(c)).join(", ")})`;
    }
    const lo = Math.min(brush.lo, brush.hi);
    const hi = Math.max(brush.lo, brush.hi);
    return `${brush.field} >= ${String(lo)} and ${brush.field} <= ${String(hi)}`;
  });
}

/**
 * The brushes on list axes as a test of one run (its list's JSON is one of the brushed
 * categories, as the sweep views read it); null when there are none. A brush whose field is not
 * in `specs` (the field list has not loaded) keeps no run.
 */
export function brushRunFilter(brushes: readonly Brush[], specs: ReadonlyMap<string, ColumnSpec>): ((run: RunItem) => boolean) | null {
  const tests = brushes.flatMap((brush) => {
    if (!brush.lists) return [];
    const spec = specs.get(brush.field);
    const inside = new Set(brush.categories ?? []);
    return [(run: RunItem) => {
      if (!spec) return false;
      const value = fieldValue(run, spec);
      return value !== undefined && value !== null && inside.has(categoryLabel(value));
    }];
  });
  if (tests.length === 0) return null;
  return (run) => tests.every((test) => test(run));
}

/** Brushes as kept in the URL: one JSON list, so field names with any character survive. */
export function encodeBrushes(brushes: readonly Brush[]): string {
  if (brushes.length === 0) return "";
  return JSON.stringify(
    brushes.map((b) => (b.lists ? [b.field, b.lo, b.hi, b.categories ?? [], 1] : b.categories ? [b.field, b.lo, b.hi, b.categories] : [b.field, b.lo, b.hi])),
  );
}

export function decodeBrushes(text: string | null): Brush[] {
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((item: unknown): Brush[] => {
      if (!Array.isArray(item) || item.length < 3 || item.length > 5) return [];
      const [field, lo, hi, categories, lists] = item as unknown[];
      if (typeof field !== "string" || typeof lo !== "number" || typeof hi !== "number") return [];
      if (categories === undefined) return [{ field, lo, hi }];
      if (!Array.isArray(categories) || !categories.every((c) => typeof c === "string")) return [];
      return lists === 1 ? [{ field, lo, hi, categories, lists: true }] : [{ field, lo, hi, categories }];
    });
  } catch {
    return [];
  }
}

const RAMP = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;

/** A colour on a perceptual ramp (dark violet → yellow) for `t` in 0..1; grey for NaN. */
export function rampColor(t: number): string {
  if (!Number.isFinite(t)) return "#9aa0a6";
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i];
  const b = RAMP[i + 1];
  const mix = (k: number) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

/** Groups run indices by colour bucket so a canvas strokes one path per colour, not per run. */
export function colorBuckets(values: Float64Array | null, axis: SweepAxis | null, buckets = 24): Int32Array {
  const n = values?.length ?? 0;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = axis && values ? normalize(axis, values[i]) : NaN;
    out[i] = Number.isFinite(t) ? Math.min(buckets - 1, Math.floor(t * buckets)) : -1;
  }
  return out;
}

/** Index of the run whose point is nearest (px, py) within `radius` pixels, or -1. */
export function nearestPoint(xs: Float64Array, ys: Float64Array, px: number, py: number, radius: number): number {
  let best = -1;
  let bestDistance = radius * radius;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i] - px;
    const dy = ys[i] - py;
    const d = dx * dx + dy * dy;
    if (d <= bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return best;
}
