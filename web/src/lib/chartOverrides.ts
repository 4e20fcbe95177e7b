import type { JsonObject } from "../api/types";

/** One chart's own settings, over the page's (x axis, smoothing, log y). */
export interface ChartOverride {
  smoothing?: number;
  logY?: boolean;
  x?: string;
}

/** Per metric key: the settings a user gave that chart, kept across runs like a workspace. */
export type ChartOverrides = Record<string, ChartOverride>;

/** ``overrides`` with ``key`` set to ``override`` (unset fields dropped, an empty one removed). */
export function withOverride(
  overrides: ChartOverrides,
  key: string,
  override: ChartOverride | undefined,
): ChartOverrides {
  const rest = Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== key));
  const kept: ChartOverride = {};
  if (override?.smoothing !== undefined) kept.smoothing = override.smoothing;
  if (override?.logY !== undefined) kept.logY = override.logY;
  if (override?.x !== undefined) kept.x = override.x;
  return Object.keys(kept).length ? { ...rest, [key]: kept } : rest;
}

/** Stored overrides read back defensively: anything malformed is ignored, not trusted. */
export function parseOverrides(stored: unknown): ChartOverrides {
  if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return {};
  let result: ChartOverrides = {};
  for (const [key, value] of Object.entries(stored)) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) continue;
    const o = value as JsonObject;
    result = withOverride(result, key, {
      smoothing: typeof o.smoothing === "number" ? o.smoothing : undefined,
      logY: typeof o.logY === "boolean" ? o.logY : undefined,
      x: typeof o.x === "string" ? o.x : undefined,
    });
  }
  return result;
}
