/** Flattening nested config into dotted keys, and the keys on which runs disagree. */

/** `{"optimizer": {"lr": 1}}` -> `{"optimizer.lr": 1}`; arrays stay values. */
export function flatten(value: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out[prefix] = {};
    for (const [key, child] of entries) flatten(child, prefix ? `${prefix}.${key}` : key, out);
    return out;
  }
  if (prefix) out[prefix] = value;
  return out;
}

/** Equality of JSON values: by content, not identity. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return Number.isNaN(a) && Number.isNaN(b);
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface DiffRow {
  key: string;
  /** One entry per run, in the runs' order; `undefined` where a run lacks the key. */
  values: unknown[];
}

/**
 * The flattened keys whose values are not the same in every run (a key missing from some runs
 * differs), sorted by key. With `all`, every key is returned.
 */
export function diffConfigs(configs: readonly unknown[], all = false): DiffRow[] {
  const flat = configs.map((c) => flatten(c));
  const keys = new Set<string>();
  for (const f of flat) for (const k of Object.keys(f)) keys.add(k);
  const rows: DiffRow[] = [];
  for (const key of [...keys].sort()) {
    const values = flat.map((f) => (key in f ? f[key] : undefined));
    const differs = values.some((v, i) => {
      const inThis = key in flat[i];
      const inFirst = key in flat[0];
      return inThis !== inFirst || !sameValue(v, values[0]);
    });
    if (all || differs) rows.push({ key, values });
  }
  return rows;
}

/** The value of a dotted key in a nested object (`"optimizer.lr"`), or a literal dotted key. */
export function getPath(source: unknown, path: string): unknown {
  if (source === null || typeof source !== "object") return undefined;
  const record = source as Record<string, unknown>;
  if (path in record) return record[path];
  const dot = path.indexOf(".");
  if (dot < 0) return undefined;
  // Keys may themselves contain dots: try every split, shortest head first.
  for (let i = dot; i >= 0 && i < path.length; i = path.indexOf(".", i + 1)) {
    const head = path.slice(0, i);
    if (head in record) {
      const found = getPath(record[head], path.slice(i + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
