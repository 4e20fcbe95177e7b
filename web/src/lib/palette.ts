/**
 * Run colours: distinguishable on light and dark backgrounds, and stable for a run's position in
 * a comparison (the same link gives the same colours).
 */
export const PALETTE = [
  "#4e79e7",
  "#e8673c",
  "#2ea36b",
  "#c54bb8",
  "#d4a21a",
  "#17a2b8",
  "#e0486c",
  "#7d5fd6",
  "#6f9b2a",
  "#a0643c",
  "#3b8fd9",
  "#d65f9e",
  // Lighter and in-between hues, so a sweep of 20 runs repeats no colour.
  "#00a88f",
  "#94b83b",
  "#b07ad9",
  "#f28e9b",
  "#5a6f8f",
  "#c9a36b",
  "#37b3e6",
  "#8f8f20",
] as const;

export function colorAt(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** `#rrggbb` with an alpha, for faint raw lines and bands. */
export function withAlpha(hex: string, alpha: number): string {
  const a = Math.round(Math.min(1, Math.max(0, alpha)) * 255)
    .toString(16)
    .padStart(2, "0");
  return `${hex}${a}`;
}
