import { useCallback, useEffect, useRef, useState } from "react";
import { alertsApi } from "../../api/alerts";
import { isAbort } from "../../api/client";
import type { AlertItem } from "../../api/types";
import { usePolling } from "../../hooks/usePolling";

const REFRESH_MS = 10_000;

export interface RunAlerts {
  /** Newest first. */
  items: AlertItem[];
  /** Alerts that arrived after the page loaded (for the desktop notification). */
  fresh: AlertItem[];
  /** Merge alerts pushed by the live metric socket. */
  addLive: (alerts: AlertItem[]) => void;
}

function merge(current: AlertItem[], incoming: AlertItem[]): AlertItem[] {
  const seen = new Set(current.map((a) => a.id));
  const added = incoming.filter((a) => !seen.has(a.id));
  if (!added.length) return current;
  return [...current, ...added].sort((a, b) => b.ts - a.ts || (b.id ?? 0) - (a.id ?? 0));
}

/** A run's alerts: loaded once, refreshed while it runs, and fed by the live socket. */
export function useRunAlerts(runId: string, running: boolean): RunAlerts {
  const [items, setItems] = useState<AlertItem[]>([]);
  const [fresh, setFresh] = useState<AlertItem[]>([]);
  const current = useRef<AlertItem[]>([]);
  const loaded = useRef(false);

  const add = useCallback((incoming: AlertItem[], initial: boolean) => {
    const before = current.current;
    const next = merge(before, incoming);
    if (next === before) return;
    current.current = next;
    setItems(next);
    if (!initial) {
      const known = new Set(before.map((a) => a.id));
      setFresh(incoming.filter((a) => !known.has(a.id)));
    }
  }, []);

  const load = useCallback(
    (signal?: AbortSignal) => {
      alertsApi.ofRun(runId, signal).then(
        (page) => {
          add(page.items, !loaded.current);
          loaded.current = true;
        },
        (error: unknown) => {
          if (!isAbort(error)) loaded.current = true;
        },
      );
    },
    [runId, add],
  );

  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal);
    return () => controller.abort();
  }, [load]);

  usePolling(() => load(), REFRESH_MS, running);

  const addLive = useCallback((alerts: AlertItem[]) => add(alerts, false), [add]);
  return { items, fresh, addLive };
}
