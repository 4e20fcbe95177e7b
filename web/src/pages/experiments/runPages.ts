/**
 * Rows of a server-side list loaded page by page as the table scrolls, so 10,000 runs cost only the
 * pages in view. Any row can be reached directly (dragging the scrollbar to the middle loads the
 * middle page), not only by scrolling from the top.
 */
import { errorMessage, isAbort } from "../../api/client";
import type { ListResponse, RunItem } from "../../api/types";

export const PAGE_SIZE = 200;

export type PageFetcher = (offset: number, limit: number, signal: AbortSignal) => Promise<ListResponse<RunItem>>;

export interface RunPagesSnapshot {
  /** Null until the first page has answered. */
  total: number | null;
  error: unknown;
  /** Bumped on every change, so a table can re-read rows. */
  version: number;
}

export class RunPages {
  private pages = new Map<number, RunItem[]>();
  private inflight = new Map<number, AbortController>();
  private listeners = new Set<() => void>();
  private snapshot: RunPagesSnapshot = { total: null, error: null, version: 0 };
  /** The rows last asked for: what is on screen. */
  private visible: [number, number] = [0, 0];

  constructor(private readonly fetchPage: PageFetcher) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): RunPagesSnapshot => this.snapshot;

  row(index: number): RunItem | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  private cache: { version: number; loaded: RunItem[]; rows: (RunItem | null)[] } | null = null;

  private cached() {
    if (this.cache?.version !== this.snapshot.version) {
      const total = this.snapshot.total ?? 0;
      const rows = new Array<RunItem | null>(total).fill(null);
      for (const [page, items] of this.pages) {
        items.forEach((item, i) => {
          if (page * PAGE_SIZE + i < total) rows[page * PAGE_SIZE + i] = item;
        });
      }
      this.cache = { version: this.snapshot.version, loaded: [...this.pages.values()].flat(), rows };
    }
    return this.cache;
  }

  /** Every loaded row, for derived lists (known tags, selection helpers); stable per version. */
  loadedRows(): RunItem[] {
    return this.cached().loaded;
  }

  /** One entry per row of the result, null where the page is not loaded; stable per version. */
  rows(): (RunItem | null)[] {
    return this.cached().rows;
  }

  /** Loads the pages covering rows [start, end] that are neither loaded nor loading. */
  ensure(start: number, end: number): void {
    this.visible = [start, end];
    const total = this.snapshot.total;
    const last = total === null ? 0 : Math.max(0, Math.ceil(total / PAGE_SIZE) - 1);
    const first = Math.max(0, Math.floor(start / PAGE_SIZE));
    const stop = Math.min(last, Math.floor(Math.max(start, end) / PAGE_SIZE));
    for (let page = first; page <= stop; page++) {
      if (!this.pages.has(page) && !this.inflight.has(page)) void this.load(page);
    }
  }

  /**
   * Reloads the pages on screen (live status, after a mutation), keeping their rows shown until
   * the answer; pages off screen are forgotten and load again when scrolled to. The work stays
   * bounded however far the table was scrolled.
   */
  refresh(): void {
    const first = Math.floor(this.visible[0] / PAGE_SIZE);
    const last = Math.floor(this.visible[1] / PAGE_SIZE);
    for (const page of [...this.pages.keys()]) {
      if (page < first || page > last) this.pages.delete(page);
    }
    for (let page = first; page <= last; page++) if (!this.inflight.has(page)) void this.load(page);
  }

  /** Forgets every page and starts over from the first (after deletes shift the rows). */
  reset(): void {
    this.abort();
    this.pages.clear();
    this.emit({ total: this.snapshot.total, error: null });
    void this.load(0);
  }

  abort(): void {
    for (const controller of this.inflight.values()) controller.abort();
    this.inflight.clear();
  }

  private emit(change: Partial<RunPagesSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change, version: this.snapshot.version + 1 };
    for (const listener of this.listeners) listener();
  }

  private async load(page: number): Promise<void> {
    const controller = new AbortController();
    this.inflight.set(page, controller);
    try {
      const response = await this.fetchPage(page * PAGE_SIZE, PAGE_SIZE, controller.signal);
      if (controller.signal.aborted) return;
      this.pages.set(page, response.items);
      this.emit({ total: response.total, error: null });
    } catch (error) {
      if (isAbort(error) || controller.signal.aborted) return;
      this.emit({ error: error instanceof Error ? error : new Error(errorMessage(error)) });
    } finally {
      if (this.inflight.get(page) === controller) this.inflight.delete(page);
    }
  }
}
