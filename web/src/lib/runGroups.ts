/**
 * Runs gathered into groups by one field (a config key, or `@tags`, `@status`, `@name`,
 * `@project`): the lines a grouped chart draws, one per group in the group palette. Shared by
 * compare and the experiments page's charts, so both group the same way.
 */
import type { RunItem } from "../api/types";
import type { CompareLine } from "../charts/build";
import { diffConfigs, flatten, getPath } from "./configDiff";
import { formatValue } from "./format";
import { groupColorAt } from "./groupPalette";

/** What a run is grouped by: its tags (sorted), status, name, project, or a config key's value. */
export function groupValue(run: RunItem, field: string): string {
  if (field === "@tags") return run.tags.length ? [...run.tags].sort().join(", ") : "—";
  if (field === "@status") return run.status;
  if (field === "@name") return run.name;
  if (field === "@project") return run.project;
  return formatValue(getPath(run.config, field));
}

export interface ChartLines {
  lines: CompareLine[];
  mode: "runs" | "groups";
}

/** A config key's raw value for a run (undefined for the built-in `@` fields). */
function rawValue(run: RunItem, field: string): unknown {
  return field.startsWith("@") ? undefined : getPath(run.config, field);
}

/**
 * One line per run (in `colorOf`'s colour) without `groupBy`; with it, one line per group,
 * labelled `field=value` and coloured from the group palette. Groups of numbers are in numeric
 * order (3e-4 before 0.001), others in text order; runs without the field come last.
 */
export function chartLines(runs: readonly RunItem[], groupBy: string | null, colorOf: (id: string) => string): ChartLines {
  if (!groupBy) {
    return { mode: "runs", lines: runs.map((r) => ({ id: r.id, label: r.name, color: colorOf(r.id), members: [r.id] })) };
  }
  const groups = new Map<string, { raw: unknown; members: string[] }>();
  for (const run of runs) {
    const value = groupValue(run, groupBy);
    const group = groups.get(value) ?? { raw: rawValue(run, groupBy), members: [] };
    group.members.push(run.id);
    groups.set(value, group);
  }
  const missing = (raw: unknown, text: string) => text === "—" && (raw === undefined || raw === null);
  const order = ([a, ga]: [string, { raw: unknown }], [b, gb]: [string, { raw: unknown }]): number => {
    const ma = missing(ga.raw, a);
    const mb = missing(gb.raw, b);
    if (ma !== mb) return ma ? 1 : -1;
    if (typeof ga.raw === "number" && typeof gb.raw === "number") return ga.raw - gb.raw;
    return a.localeCompare(b, undefined, { numeric: true });
  };
  const name = groupBy.startsWith("@") ? groupBy.slice(1) : groupBy;
  return {
    mode: "groups",
    lines: [...groups.entries()]
      .sort(order)
      .map(([value, { members }], i) => ({ id: `group:${value}`, label: `${name}=${value}`, color: groupColorAt(i), members })),
  };
}

/** The config keys runs can be grouped by: those whose values differ first, then the rest. */
export function groupableConfigKeys(runs: readonly RunItem[]): string[] {
  const differing = diffConfigs(runs.map((r) => r.config)).map((r) => r.key);
  const all = Object.keys(Object.assign({}, ...runs.map((r) => flatten(r.config))) as Record<string, unknown>).sort();
  return [...differing, ...all.filter((k) => !differing.includes(k))];
}
