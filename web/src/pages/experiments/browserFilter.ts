/**
 * Table pages for a filter the server cannot evaluate (a brush on a list-valued sweep axis):
 * every run of the server's part of the filter, in the table's sort, narrowed in the browser.
 */
import type { RunItem } from "../../api/types";
import type { PageFetcher } from "./runPages";
import { loadAllRuns } from "./tableExport";

/** How long one load serves the pages asked for together (the first screen, a scroll). */
const REUSE_MS = 2000;

export type RunLoader = (filter: string, sort: string) => Promise<RunItem[]>;

/**
 * A page fetcher over the runs matching `filter` (server side) and `keep` (browser side). The
 * whole list loads once per burst of page requests; a refresh after REUSE_MS loads it again, so
 * new runs and changed statuses still arrive.
 */
export function browserFilteredFetcher(
  filter: string,
  sort: string,
  keep: (run: RunItem) => boolean,
  load: RunLoader = (f, s) => loadAllRuns(f, s),
): PageFetcher {
  let cached: { at: number; runs: Promise<RunItem[]> } | null = null;
  return async (offset, limit, signal) => {
    if (!cached || performance.now() - cached.at > REUSE_MS) {
      const runs = load(filter, sort).then((all) => all.filter(keep));
      const entry = { at: performance.now(), runs };
      cached = entry;
      runs.catch(() => {
        if (cached === entry) cached = null;
      });
    }
    const runs = await cached.runs;
    if (signal.aborted) throw new DOMException("the table moved on", "AbortError");
    return { items: runs.slice(offset, offset + limit), total: runs.length };
  };
}
