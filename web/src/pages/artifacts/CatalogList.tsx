/** What the artifact and model lists draw alike: the filter pickers and the states around the table. */
import type { ReactNode } from "react";
import type { ListResponse } from "../../api/types";
import { ErrorState, LoadingState } from "../../components/States";
import type { AsyncState } from "../../hooks/useAsync";
import { PAGE_SIZE } from "./catalogPage";
import { Pager } from "./Pager";

/** A filter of the list: "all" (null) or one of `names`. */
export function FilterSelect({
  value,
  names,
  allLabel,
  label,
  onChange,
  testId,
}: {
  value: string | null;
  names: readonly string[];
  allLabel: string;
  label: string;
  onChange: (value: string | null) => void;
  testId: string;
}) {
  return (
    <select className="input" value={value ?? ""} onChange={(e) => onChange(e.target.value || null)} aria-label={label} data-testid={testId}>
      <option value="">{allLabel}</option>
      {names.map((name) => (
        <option key={name} value={name}>
          {name}
        </option>
      ))}
    </select>
  );
}

export interface CatalogColumn {
  label: string;
  numeric?: boolean;
}

/** The list's states: `empty` when the page has no item, else the table (a row per item) and the pager. */
export function CatalogBody<T>({
  list,
  page,
  onPage,
  testIdPrefix,
  empty,
  columns,
  tableClassName = "kv-table",
  row,
}: {
  list: AsyncState<ListResponse<T>>;
  page: number;
  onPage: (page: number) => void;
  testIdPrefix: string;
  empty: ReactNode;
  columns: readonly CatalogColumn[];
  tableClassName?: string;
  row: (item: T) => ReactNode;
}) {
  if (list.error && !list.data) return <ErrorState error={list.error} onRetry={list.reload} testId={`${testIdPrefix}-error`} />;
  if (!list.data) return <LoadingState testId={`${testIdPrefix}-loading`} />;
  if (list.data.items.length === 0) return <>{empty}</>;
  return (
    <>
      <div className="table-card">
        <table className={tableClassName} data-testid={`${testIdPrefix}-table`}>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column.label} className={column.numeric ? "num" : undefined}>
                  {column.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>{list.data.items.map(row)}</tbody>
        </table>
      </div>
      <Pager page={page} pageSize={PAGE_SIZE} shown={list.data.items.length} total={list.data.total} onPage={onPage} />
    </>
  );
}
