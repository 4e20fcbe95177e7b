/**
 * Group colours: darker, more saturated tones than the run palette's, so a group's mean line is
 * never mistaken for a single run drawn beside it.
 */
export const GROUP_PALETTE = [
  "#1f3fb8",
  "#b8420f",
  "#0f7a4a",
  "#8a1f7c",
  "#8f6a00",
  "#006f80",
  "#a3163f",
  "#4b2fa3",
] as const;

export function groupColorAt(index: number): string {
  return GROUP_PALETTE[((index % GROUP_PALETTE.length) + GROUP_PALETTE.length) % GROUP_PALETTE.length];
}

/** The value a run is grouped by: a config key, or `@status`, `@name`, `@tags`, `@project`. */
export const RUN_GROUP_FIELDS = ["@tags", "@status", "@name", "@project"] as const;
