import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type ColumnSizingState,
  type Header,
  type OnChangeFn,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, type MouseEvent, type ReactNode } from "react";
import type { RunItem } from "../../api/types";
import { useI18n } from "../../i18n/context";
import { SELECT_COLUMN, type RunRow } from "./columns";
import type { SortKey } from "./fields";
import type { RunPages } from "./runPages";
import "./runsTable.css";

const ROW_HEIGHT = 32;

export interface RunsTableProps {
  pages: RunPages;
  total: number;
  columns: ColumnDef<RunRow>[];
  sort: SortKey[];
  onSort?: (field: string, additive: boolean) => void;
  selected: ReadonlySet<string>;
  onSelect: (run: RunItem, index: number, range: boolean) => void;
  onSelectAll: (select: boolean) => void;
  onOpen: (run: RunItem) => void;
  columnSizing: ColumnSizingState;
  onColumnSizingChange: OnChangeFn<ColumnSizingState>;
  empty: ReactNode;
}

function SortIndicator({ sort, field }: { sort: SortKey[]; field: string | undefined }) {
  if (!field) return null;
  const index = sort.findIndex((k) => k.field === field);
  if (index < 0) return <span className="sort-indicator sort-none">↕</span>;
  return (
    <span className="sort-indicator">
      {sort[index].desc ? "↓" : "↑"}
      {sort.length > 1 && <sub>{index + 1}</sub>}
    </span>
  );
}

export function RunsTable(props: RunsTableProps) {
  const { pages, total, columns, sort, onSort, selected, onSelect, onSelectAll, onOpen } = props;
  const { t } = useI18n();
  const scrollRef = useRef<HTMLDivElement>(null);

  // One entry per row of the whole result (a new array per version); unloaded rows are null.
  const data: RunRow[] = pages.rows();

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Table is used as documented
  const table = useReactTable({
    data,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row, index) => row?.id ?? `placeholder-${index}`,
    manualSorting: true,
    enableColumnResizing: true,
    columnResizeMode: "onChange",
    state: { columnSizing: props.columnSizing },
    onColumnSizingChange: props.onColumnSizingChange,
  });

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const first = items.length ? items[0].index : 0;
  const last = items.length ? items[items.length - 1].index : 0;

  useEffect(() => {
    if (total > 0) pages.ensure(first, last);
  }, [pages, first, last, total]);

  const rows = table.getRowModel().rows;
  const width = table.getTotalSize();
  const loadedIds = useMemo(() => data.filter((r): r is RunItem => r !== null).map((r) => r.id), [data]);
  const allSelected = loadedIds.length > 0 && loadedIds.every((id) => selected.has(id));
  const someSelected = !allSelected && loadedIds.some((id) => selected.has(id));

  // The checkbox and name columns stay in view while the table scrolls sideways.
  const selectWidth = table.getColumn(SELECT_COLUMN)?.getSize() ?? 0;
  const frozen = (id: string): { className: string; left: number } | null =>
    id === SELECT_COLUMN ? { className: " frozen", left: 0 } : id === "name" ? { className: " frozen frozen-last", left: selectWidth } : null;

  const headerCell = (header: Header<RunRow, unknown>) => {
    const meta = header.column.columnDef.meta;
    const sortField = onSort ? meta?.sortField : undefined;
    const sortKey = sort.find((k) => k.field === sortField);
    if (header.column.id === SELECT_COLUMN) {
      return (
        <div key={header.id} className="th th-select frozen" style={{ width: header.getSize(), left: 0 }} role="columnheader">
          <input
            type="checkbox"
            aria-label={t("table.selectAll")}
            checked={allSelected}
            ref={(el) => {
              if (el) el.indeterminate = someSelected;
            }}
            onChange={(e) => onSelectAll(e.target.checked)}
            data-testid="select-all"
          />
        </div>
      );
    }
    const label = header.column.columnDef.header;
    const fixed = frozen(header.column.id);
    // The whole name, the field it reads and how to sort: headers are often cut short.
    const title = [typeof label === "string" ? label : "", meta?.source ? header.column.id : "", sortField ? t("table.sortHint") : ""]
      .filter(Boolean)
      .join("\n");
    return (
      <div
        key={header.id}
        role="columnheader"
        className={`th${sortField ? " sortable" : ""}${meta?.numeric ? " num" : ""}${fixed?.className ?? ""}`}
        style={{ width: header.getSize(), left: fixed?.left }}
        data-testid={`col-header-${header.column.id}`}
        data-sort={sortKey ? (sortKey.desc ? "desc" : "asc") : undefined}
        aria-sort={sortKey ? (sortKey.desc ? "descending" : "ascending") : undefined}
        title={title || undefined}
        onClick={(e: MouseEvent) => sortField && onSort?.(sortField, e.shiftKey)}
      >
        {meta?.source && <span className="col-source">{meta.source}</span>}
        <span className="th-label">{flexRender(header.column.columnDef.header, header.getContext())}</span>
        <SortIndicator sort={sort} field={sortField} />
        {header.column.getCanResize() && (
          <span
            className={`resizer${header.column.getIsResizing() ? " resizing" : ""}`}
            onMouseDown={header.getResizeHandler()}
            onTouchStart={header.getResizeHandler()}
            onClick={(e) => e.stopPropagation()}
            onDoubleClick={() => header.column.resetSize()}
          />
        )}
      </div>
    );
  };

  return (
    <div className="runs-table" ref={scrollRef} data-testid="runs-table" data-total={total} role="grid" aria-rowcount={total}>
      <div className="thead" style={{ width }} role="rowgroup">
        {table.getHeaderGroups().map((group) => (
          <div key={group.id} className="tr" role="row">
            {group.headers.map(headerCell)}
          </div>
        ))}
      </div>
      {total === 0 ? (
        props.empty
      ) : (
        <div className="tbody" style={{ height: virtualizer.getTotalSize(), width }} role="rowgroup">
          {items.map((item) => {
            const row = rows[item.index] as (typeof rows)[number] | undefined;
            const run = row?.original ?? null;
            const style = { transform: `translateY(${item.start}px)`, height: ROW_HEIGHT, width };
            if (!row || !run) {
              return (
                <div key={item.key} className="tr row-placeholder" style={style} data-testid="run-row-placeholder" role="row">
                  <span className="skeleton" />
                </div>
              );
            }
            const isSelected = selected.has(run.id);
            return (
              <div
                key={item.key}
                role="row"
                aria-selected={isSelected}
                className={`tr${isSelected ? " selected" : ""} run-${run.status}`}
                style={style}
                data-testid="run-row"
                data-run-id={run.id}
                data-status={run.status}
                data-index={item.index}
                tabIndex={0}
                onClick={(e) => {
                  if (e.metaKey || e.ctrlKey || e.shiftKey) onSelect(run, item.index, e.shiftKey);
                  else onOpen(run);
                }}
                onKeyDown={(e) => {
                  if (e.target !== e.currentTarget) return;
                  if (e.key === "Enter") onOpen(run);
                  if (e.key === " ") {
                    e.preventDefault();
                    onSelect(run, item.index, e.shiftKey);
                  }
                }}
              >
                {row.getVisibleCells().map((cell) =>
                  cell.column.id === SELECT_COLUMN ? (
                    <div key={cell.id} className="td td-select frozen" style={{ width: cell.column.getSize(), left: 0 }} onClick={(e) => e.stopPropagation()}>
                      <input
                        type="checkbox"
                        checked={isSelected}
                        aria-label={t("table.selectRun", { name: run.name })}
                        onClick={(e) => onSelect(run, item.index, e.shiftKey)}
                        onChange={() => undefined}
                        data-testid="row-select"
                      />
                    </div>
                  ) : (
                    <div
                      key={cell.id}
                      role="gridcell"
                      className={`td${cell.column.columnDef.meta?.numeric ? " num" : ""}${frozen(cell.column.id)?.className ?? ""}`}
                      style={{ width: cell.column.getSize(), left: frozen(cell.column.id)?.left }}
                      data-col={cell.column.id}
                    >
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </div>
                  ),
                )}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
