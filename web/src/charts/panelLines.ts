import { colorAt } from "../lib/palette";
import type { CompareLine } from "./build";

/** Dash patterns telling keys apart when colours tell runs apart (the first key is solid). */
const DASHES: (number[] | undefined)[] = [undefined, [6, 4], [2, 3], [10, 3, 2, 3]];

/** A member id per (key, run): several keys' series go through one compare table. */
export function memberOf(key: string, runId: string): string {
  return `${key}\u0000${runId}`;
}

/**
 * The panel's lines: with one page line (a single run) a colour per key; with several, each run
 * (or group) keeps its colour and each key its dash.
 */
export function panelLines(lines: readonly CompareLine[], keys: readonly string[]): { line: CompareLine; dash: number[] | undefined }[] {
  const single = lines.length === 1;
  return keys.flatMap((key, k) =>
    lines.map((line) => ({
      line: {
        id: memberOf(key, line.id),
        label: single ? key : `${line.label} · ${key}`,
        color: single ? colorAt(k) : line.color,
        members: line.members.map((id) => memberOf(key, id)),
      },
      dash: single ? undefined : DASHES[k % DASHES.length],
    })),
  );
}
