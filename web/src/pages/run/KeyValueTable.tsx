import { useI18n } from "../../i18n/context";
import { formatValue } from "../../lib/format";

import type { KeyValueRow } from "./keyValueRows";

export interface KeyValueTableProps {
  rows: KeyValueRow[];
  testId: string;
  emptyText: string;
  /** How a value reads (default: as it is); the environment shows byte counts in GiB. */
  format?: (key: string, value: unknown) => string;
}

export function KeyValueTable({ rows, testId, emptyText, format = (_key, value) => formatValue(value) }: KeyValueTableProps) {
  const { t } = useI18n();
  if (rows.length === 0) return <div className="muted small kv-empty">{emptyText}</div>;
  return (
    <table className="kv-table" data-testid={testId}>
      <thead>
        <tr>
          <th>{t("kv.key")}</th>
          <th>{t("kv.value")}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key} data-key={row.key}>
            <td className="mono kv-key">{row.key}</td>
            <td className="mono kv-value">{format(row.key, row.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
