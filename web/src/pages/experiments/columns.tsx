import type { ColumnDef, RowData } from "@tanstack/react-table";
import { Link } from "react-router";
import type { RunItem } from "../../api/types";
import { AlertBadge } from "../../components/AlertBadge";
import { CopyButton } from "../../components/CopyButton";
import { StatusBadge } from "../../components/StatusBadge";
import { TagList } from "../../components/Tags";
import type { Translate } from "../../i18n/context";
import { formatDateTime, formatDuration, formatValue } from "../../lib/format";
import { runHref } from "../../lib/urlState";
import { fieldValue, type ColumnSpec } from "./fields";

declare module "@tanstack/react-table" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the generic must match the library's
  interface ColumnMeta<TData extends RowData, TValue> {
    /** The v2 field this column sorts by; absent for unsortable columns. */
    sortField?: string;
    numeric?: boolean;
    /** A chip in the header saying where the value comes from (config, summary, metric). */
    source?: string;
  }
}

/** A table row: a run, or null while its page is loading. */
export type RunRow = RunItem | null;

export const SELECT_COLUMN = "select";

export interface ColumnContext {
  t: Translate;
  onTagClick: (tag: string) => void;
  /** A run's colour in the charts (its place among the selected runs), or null. */
  colorOf?: (runId: string) => string | null;
}

/** Built-in columns the user cannot hide: the checkbox and the frozen name. */
export const FIXED_COLUMNS: readonly string[] = [SELECT_COLUMN, "name"];

export function baseColumns({ t, onTagClick, colorOf }: ColumnContext, bin: boolean): ColumnDef<RunRow>[] {
  const columns: ColumnDef<RunRow>[] = [
    { id: SELECT_COLUMN, size: 34, enableResizing: false, header: "", cell: () => null },
    {
      id: "status",
      header: t("col.status"),
      size: 104,
      meta: { sortField: bin ? undefined : "status" },
      cell: ({ row }) => row.original && <StatusBadge status={row.original.status} />,
    },
    {
      id: "name",
      header: t("col.name"),
      size: 230,
      meta: { sortField: bin ? undefined : "name" },
      cell: ({ row }) => {
        const run = row.original;
        if (!run) return null;
        const color = colorOf?.(run.id) ?? null;
        return (
          <span className="cell-name">
            {color && <span className="run-swatch" style={{ background: color }} data-testid="run-swatch" data-color={color} />}
            <span className="cell-project">{run.project}/</span>
            <Link to={runHref(run.id)} onClick={(e) => e.stopPropagation()} data-testid="run-link">
              {run.name}
            </Link>
            {run.alias && (
              <span className="chip chip-small run-alias" data-testid="run-alias" title={t("run.alias")}>
                {run.alias}
              </span>
            )}
          </span>
        );
      },
    },
    {
      id: "id",
      header: t("col.id"),
      size: 196,
      meta: { sortField: bin ? undefined : "id" },
      cell: ({ row }) =>
        row.original && (
          <span className="cell-id mono">
            {row.original.id}
            <CopyButton text={row.original.id} />
          </span>
        ),
    },
    {
      id: "created_at",
      header: t("col.created"),
      size: 150,
      meta: { sortField: bin ? undefined : "created_at" },
      cell: ({ row }) => row.original && <span className="mono">{formatDateTime(row.original.created_at, false)}</span>,
    },
    {
      id: "duration",
      header: t("col.duration"),
      size: 86,
      meta: { sortField: bin ? undefined : "duration", numeric: true },
      cell: ({ row }) => row.original && formatDuration(row.original.duration),
    },
    {
      id: "alerts",
      header: t("col.alerts"),
      size: 72,
      meta: { sortField: bin ? undefined : "alerts", numeric: true },
      cell: ({ row }) =>
        row.original && <AlertBadge count={row.original.alerts ?? 0} last={row.original.last_alert ?? null} />,
    },
  ];
  if (bin) {
    columns.push({
      id: "deleted_at",
      header: t("col.deleted"),
      size: 150,
      cell: ({ row }) => row.original && <span className="mono">{formatDateTime(row.original.deleted_at, false)}</span>,
    });
  }
  columns.push({
    id: "tags",
    header: t("col.tags"),
    size: 170,
    cell: ({ row }) =>
      row.original && (
        <span className="cell-tags" title={row.original.tags.join(", ")}>
          <TagList tags={row.original.tags} onClick={bin ? undefined : onTagClick} />
        </span>
      ),
  });
  return columns;
}

const SOURCE_LABEL: Record<ColumnSpec["kind"], string> = {
  config: "C",
  summary: "S",
  "metrics.last": "last",
  "metrics.min": "min",
  "metrics.max": "max",
};

/** A config, summary or metric column; it sorts by the server's own name for the field. */
export function fieldColumn(spec: ColumnSpec): ColumnDef<RunRow> {
  return {
    id: spec.id,
    header: spec.label,
    size: 112,
    meta: { sortField: spec.id, numeric: true, source: SOURCE_LABEL[spec.kind] },
    cell: ({ row }) => {
      if (!row.original) return null;
      const value = fieldValue(row.original, spec);
      const text = formatValue(value);
      return <span title={typeof value === "object" && value !== null ? JSON.stringify(value) : text}>{text}</span>;
    },
  };
}
