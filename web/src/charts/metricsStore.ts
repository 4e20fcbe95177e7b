/**
 * Metric series for the charts of one page (one run, or the runs of a comparison), loaded lazily:
 * a chart asks for its key when it scrolls into view, and the keys asked for in the same tick go
 * to the server in one request. A running run's points arrive over the WebSocket and are appended
 * in place, so its charts grow without refetching.
 */
import { api, errorMessage, isAbort } from "../api/client";
import type { LiveMetricsMessage, MetricsQuery, SeriesPayload, XMode } from "../api/types";
import { isSystemKey } from "../lib/metricKeys";
import { toNumberArray } from "../lib/numbers";
import type { Zoom } from "../lib/urlState";

export interface SeriesData {
  x: number[];
  y: number[];
  /** Per-bucket extremes, present when the server downsampled the series. */
  yMin: number[] | null;
  yMax: number[] | null;
  /** The true number of points in range. */
  count: number;
  downsampled: boolean;
}

export interface SeriesEntry {
  status: "idle" | "loading" | "ready" | "error";
  /** Series per run id; kept while a refetch (zoom, refresh) is under way. */
  runs: Record<string, SeriesData>;
  error: string | null;
}

export interface StoreParams {
  x: XMode;
  zoom: Zoom;
  maxPoints: number;
}

export type BatchFetcher = (
  runIds: string[],
  query: MetricsQuery,
  signal: AbortSignal,
) => Promise<Record<string, Record<string, SeriesPayload>>>;

const IDLE: SeriesEntry = { status: "idle", runs: {}, error: null };
const KEYS_PER_REQUEST = 16;
const STALE_REFRESH_MS = 4000;

export function toSeriesData(payload: SeriesPayload | undefined): SeriesData {
  if (!payload) return { x: [], y: [], yMin: null, yMax: null, count: 0, downsampled: false };
  const downsampled = payload.downsampled === true && !!payload.y_min && !!payload.y_max;
  const x = toNumberArray(payload.x);
  return {
    x,
    y: toNumberArray(payload.y),
    yMin: downsampled ? toNumberArray(payload.y_min) : null,
    yMax: downsampled ? toNumberArray(payload.y_max) : null,
    count: payload.count ?? x.length,
    downsampled,
  };
}

export const defaultFetcher: BatchFetcher = async (runIds, query, signal) => {
  if (runIds.length === 1) {
    const response = await api.metrics(runIds[0], query, signal);
    return { [runIds[0]]: response.series };
  }
  return api.batchMetrics(runIds, query, signal);
};

export class MetricsStore {
  private params: StoreParams;
  private entries = new Map<string, SeriesEntry>();
  private listeners = new Map<string, Set<() => void>>();
  private keyListeners = new Set<() => void>();
  private keys: string[] = [];
  private wanted = new Set<string>();
  private queued = new Set<string>();
  private flushScheduled = false;
  private generation = 0;
  private controllers = new Set<AbortController>();
  private pendingLive = new Map<string, { x: number[]; y: number[] }>();
  private stale = new Set<string>();
  private staleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The highest training step seen, for the WebSocket's `after`. */
  lastStep: number | null = null;

  /** Where live points resume when the page opens: the run's last step, unless points came already. */
  seedLastStep(step: number | null | undefined): void {
    if (this.lastStep === null && typeof step === "number") this.lastStep = step;
  }

  constructor(
    readonly runIds: string[],
    params: StoreParams,
    private readonly fetcher: BatchFetcher = defaultFetcher,
  ) {
    this.params = params;
  }

  getKeys = (): string[] => this.keys;

  subscribeKeys = (listener: () => void): (() => void) => {
    this.keyListeners.add(listener);
    return () => this.keyListeners.delete(listener);
  };

  setKeys(keys: readonly string[]): void {
    const merged = [...new Set([...this.keys, ...keys])];
    if (merged.length === this.keys.length) return;
    this.keys = merged;
    for (const listener of this.keyListeners) listener();
  }

  getEntry(key: string): SeriesEntry {
    return this.entries.get(key) ?? IDLE;
  }

  subscribe(key: string, listener: () => void): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** A chart for `key` is visible: load it unless it is loaded or loading. */
  want(key: string): void {
    this.wanted.add(key);
    if (this.getEntry(key).status === "idle") this.enqueue([key]);
  }

  /** New x axis, zoom range or point budget: reload every loaded key. */
  setParams(params: StoreParams): void {
    const p = this.params;
    if (p.x === params.x && p.maxPoints === params.maxPoints && sameZoom(p.zoom, params.zoom)) return;
    const sameAxis = p.x === params.x;
    this.params = params;
    this.abortAll();
    for (const key of this.wanted) {
      // Zooming keeps the current lines on screen until the finer ones arrive; a new x axis does not.
      const runs = sameAxis ? this.getEntry(key).runs : {};
      this.set(key, { status: "loading", runs, error: null });
    }
    this.enqueue([...this.wanted]);
  }

  /** Refetch loaded keys (all of them by default) while keeping their lines on screen. */
  refresh(keys: Iterable<string> = this.wanted): void {
    this.enqueue([...keys].filter((k) => this.wanted.has(k)));
  }

  applyLive(message: LiveMetricsMessage): void {
    const series = message.series;
    if (!series) return;
    const runId = this.runIds[0];
    const appendable = this.runIds.length === 1 && this.params.x === "step";
    const newKeys: string[] = [];
    for (const [key, points] of Object.entries(series)) {
      if (!this.keys.includes(key)) newKeys.push(key);
      const x = toNumberArray(points.x);
      const y = toNumberArray(points.y);
      if (x.length === 0) continue;
      const system = isSystemKey(key);
      if (!system) {
        const maxX = x[x.length - 1];
        if (this.lastStep === null || maxX > this.lastStep) this.lastStep = maxX;
      }
      const entry = this.getEntry(key);
      if (!appendable || system) {
        if (entry.status === "ready") this.markStale(key);
        continue;
      }
      if (entry.status === "loading") {
        const pending = this.pendingLive.get(key) ?? { x: [], y: [] };
        pending.x.push(...x);
        pending.y.push(...y);
        this.pendingLive.set(key, pending);
      } else if (entry.status === "ready") {
        const data = entry.runs[runId] as SeriesData | undefined;
        const next = data ? appendPoints(data, x, y) : toSeriesData({ x, y });
        this.set(key, { ...entry, runs: { ...entry.runs, [runId]: next } });
        if (next.x.length > 2 * this.params.maxPoints) this.markStale(key);
      }
    }
    if (newKeys.length) this.setKeys(newKeys);
  }

  /** Stops network work (the page is going away); keys still wanted load again on the next want. */
  dispose(): void {
    this.abortAll();
    clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    for (const [key, entry] of this.entries) {
      if (entry.status === "loading") this.entries.set(key, { ...entry, status: "idle" });
    }
  }

  private markStale(key: string): void {
    this.stale.add(key);
    if (this.staleTimer !== undefined) return;
    this.staleTimer = setTimeout(() => {
      this.staleTimer = undefined;
      const keys = [...this.stale];
      this.stale.clear();
      this.refresh(keys);
    }, STALE_REFRESH_MS);
  }

  private set(key: string, entry: SeriesEntry): void {
    this.entries.set(key, entry);
    const set = this.listeners.get(key);
    if (set) for (const listener of set) listener();
  }

  private abortAll(): void {
    this.generation++;
    for (const controller of this.controllers) controller.abort();
    this.controllers.clear();
    this.pendingLive.clear();
  }

  private enqueue(keys: string[]): void {
    for (const key of keys) this.queued.add(key);
    if (this.flushScheduled || this.queued.size === 0) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      const all = [...this.queued];
      this.queued.clear();
      for (let i = 0; i < all.length; i += KEYS_PER_REQUEST) {
        void this.load(all.slice(i, i + KEYS_PER_REQUEST));
      }
    });
  }

  private async load(keys: string[]): Promise<void> {
    const generation = this.generation;
    const controller = new AbortController();
    this.controllers.add(controller);
    for (const key of keys) {
      const entry = this.getEntry(key);
      this.set(key, { status: "loading", runs: entry.runs, error: null });
    }
    const { x, zoom, maxPoints } = this.params;
    try {
      const result = await this.fetcher(
        this.runIds,
        { keys, x, start: zoom?.[0] ?? null, end: zoom?.[1] ?? null, maxPoints },
        controller.signal,
      );
      if (generation !== this.generation) return;
      for (const key of keys) {
        const runs: Record<string, SeriesData> = {};
        for (const runId of this.runIds) {
          const series = result[runId] as Record<string, SeriesPayload> | undefined;
          const payload = series?.[key];
          if (payload) runs[runId] = toSeriesData(payload);
        }
        const pending = this.pendingLive.get(key);
        const only = runs[this.runIds[0]] as SeriesData | undefined;
        if (pending && only) runs[this.runIds[0]] = appendPoints(only, pending.x, pending.y);
        this.pendingLive.delete(key);
        this.set(key, { status: "ready", runs, error: null });
      }
    } catch (error) {
      if (isAbort(error) || generation !== this.generation) return;
      const message = errorMessage(error);
      for (const key of keys) {
        this.set(key, { status: "error", runs: this.getEntry(key).runs, error: message });
      }
    } finally {
      this.controllers.delete(controller);
    }
  }
}

/** Appends the points beyond the series' last x (a reconnect may resend some). */
export function appendPoints(data: SeriesData, x: number[], y: number[]): SeriesData {
  const lastX = data.x.length ? data.x[data.x.length - 1] : -Infinity;
  let added = 0;
  for (let i = 0; i < x.length; i++) {
    if (!(x[i] > lastX) || (added > 0 && x[i] <= data.x[data.x.length - 1])) continue;
    data.x.push(x[i]);
    data.y.push(y[i]);
    data.yMin?.push(y[i]);
    data.yMax?.push(y[i]);
    added++;
  }
  return added ? { ...data, count: data.count + added } : data;
}

function sameZoom(a: Zoom, b: Zoom): boolean {
  return a === b || (!!a && !!b && a[0] === b[0] && a[1] === b[1]);
}
