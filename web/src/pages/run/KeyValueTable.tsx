import { useI18n } from "../../i18n/context";
import { formatValue } from "../../lib/format";

import type { KeyValueRow } from "./keyValueRows";

export function KeyValueTable({ rows, testId, emptyText }: { rows: KeyValueRow[]; testId: string; emptyText: string }) {
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
            <td className="mono kv-value">{formatValue(row.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
