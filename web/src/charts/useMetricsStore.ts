import { useCallback, useSyncExternalStore } from "react";
import type { MetricsStore, SeriesEntry } from "./metricsStore";

export function useSeriesEntry(store: MetricsStore, key: string): SeriesEntry {
  const subscribe = useCallback((listener: () => void) => store.subscribe(key, listener), [store, key]);
  const snapshot = useCallback(() => store.getEntry(key), [store, key]);
  return useSyncExternalStore(subscribe, snapshot);
}

export function useMetricKeys(store: MetricsStore): string[] {
  return useSyncExternalStore(store.subscribeKeys, store.getKeys);
}
