/** Small rules of the Models page: which move a version's buttons suggest, which metadata to show. */
import type { Stage, VersionRow } from "../../api/artifacts";

/** The stage "Promote" moves a version to; null when it is already in production. */
export function promoteTarget(stage: Stage): Stage | null {
  switch (stage) {
    case "none":
    case "archived":
      return "staging";
    case "staging":
      return "production";
    case "production":
      return null;
  }
}

/**
 * Up to `max` numeric metadata keys to show beside the versions: those most versions have,
 * then by name, so `val/acc` logged on every checkpoint is a column and a one-off note is not.
 */
export function metricColumns(versions: readonly VersionRow[], max = 3): string[] {
  const counts = new Map<string, number>();
  for (const v of versions) {
    for (const [key, value] of Object.entries(v.metadata)) {
      if (typeof value === "number") counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([key]) => key);
}
