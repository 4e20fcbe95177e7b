import { createContext, useContext } from "react";
import type { ChartDefaults, Health, ViewerConfig } from "../api/types";

export const FALLBACK_CHART_DEFAULTS: ChartDefaults = { max_points: 2000, smoothing: 0 };

export interface ViewerSettings {
  config: ViewerConfig | null;
  health: Health | null;
  /** The saved chart defaults, or built-in ones while loading or when the viewer cannot say. */
  chartDefaults: ChartDefaults;
  loadError: unknown;
  saveChartDefaults: (next: ChartDefaults) => Promise<void>;
  /** Whether the last health check reached the viewer. */
  online: boolean;
}

export const SettingsContext = createContext<ViewerSettings | null>(null);

export function useSettings(): ViewerSettings {
  const value = useContext(SettingsContext);
  if (!value) throw new Error("useSettings must be used inside <SettingsProvider>");
  return value;
}
