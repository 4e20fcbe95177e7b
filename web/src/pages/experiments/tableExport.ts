/**
 * The runs table as CSV: the columns the user sees, in their order, for every run the filter
 * matches (not only the rows loaded so far). Values are the raw ones, not the formatted text.
 */
import { api } from "../../api/client";
import type { RunItem } from "../../api/types";
import { toCsv } from "../../lib/csv";
import { fieldValue, resolveColumn, type ColumnSpec } from "./fields";

/** The most rows one export holds (the API pages 1,000 at a time). */
export const MAX_EXPORT_ROWS = 10_000;

function isoTime(seconds: number | null | undefined): string {
  return typeof seconds === "number" ? new Date(seconds * 1000).toISOString() : "";
}

const BUILT_IN: Record<string, (run: RunItem) => unknown> = {
  status: (run) => run.status,
  name: (run) => `${run.project}/${run.name}`,
  id: (run) => run.id,
  created_at: (run) => isoTime(run.created_at),
  duration: (run) => run.duration,
  alerts: (run) => run.alerts ?? 0,
  deleted_at: (run) => isoTime(run.deleted_at),
  tags: (run) => run.tags.join("; "),
};

export interface ExportColumn {
  id: string;
  header: string;
}

/** CSV of `runs` in `columns`; a column that is neither built in nor a known field is left out. */
export function tableCsv(columns: readonly ExportColumn[], specs: ReadonlyMap<string, ColumnSpec>, runs: readonly RunItem[]): string {
  const readers = columns.flatMap((column) => {
    const builtIn = BUILT_IN[column.id] as ((run: RunItem) => unknown) | undefined;
    if (builtIn) return [{ header: column.header, read: builtIn }];
    const spec = resolveColumn(column.id, specs);
    // A field's CSV header is its v2 name, so the file says exactly which value it holds.
    return spec ? [{ header: spec.id, read: (run: RunItem) => fieldValue(run, spec) }] : [];
  });
  return toCsv(
    readers.map((r) => r.header),
    runs.map((run) => readers.map((r) => r.read(run))),
  );
}

/** Every run matching `filter` in `sort` order, up to MAX_EXPORT_ROWS. */
export async function loadAllRuns(filter: string, sort: string, signal?: AbortSignal): Promise<RunItem[]> {
  const runs: RunItem[] = [];
  for (;;) {
    const page = await api.experiments({ filter: filter || undefined, sort, limit: 1000, offset: runs.length }, signal);
    runs.push(...page.items);
    if (page.items.length === 0 || runs.length >= Math.min(page.total, MAX_EXPORT_ROWS)) return runs;
  }
}
