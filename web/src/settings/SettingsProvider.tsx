import { useCallback, useMemo, useState, type ReactNode } from "react";
import { api } from "../api/client";
import type { ChartDefaults } from "../api/types";
import { useAsync } from "../hooks/useAsync";
import { usePolling } from "../hooks/usePolling";
import { FALLBACK_CHART_DEFAULTS, SettingsContext, type ViewerSettings } from "./context";

const HEALTH_INTERVAL_MS = 15_000;

export function SettingsProvider({ children }: { children: ReactNode }) {
  const config = useAsync("config", (signal) => api.config(signal));
  const health = useAsync("health", (signal) => api.health(signal));
  const [saved, setSaved] = useState<ChartDefaults | null>(null);
  usePolling(health.reload, HEALTH_INTERVAL_MS);

  const saveChartDefaults = useCallback(async (next: ChartDefaults) => {
    await api.saveChartDefaults(next);
    setSaved(next);
  }, []);

  const value = useMemo<ViewerSettings>(
    () => ({
      config: config.data ?? null,
      health: health.data ?? null,
      chartDefaults: { ...FALLBACK_CHART_DEFAULTS, ...config.data?.chart_defaults, ...saved },
      loadError: config.error,
      saveChartDefaults,
      online: !health.error,
    }),
    [config.data, config.error, health.data, health.error, saved, saveChartDefaults],
  );
  return <SettingsContext.Provider value={value}>{children}</SettingsContext.Provider>;
}
