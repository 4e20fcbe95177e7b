import { useMemo, useState, type ReactNode } from "react";
import type { FieldsResponse } from "../../api/types";
import { Popover } from "../../components/Popover";
import { useI18n } from "../../i18n/context";
import { metricColumnId, METRIC_KINDS } from "./fields";

const LIMIT_PER_SECTION = 200;

export interface ColumnPickerProps {
  fields: FieldsResponse | undefined;
  chosen: readonly string[];
  onChange: (chosen: string[]) => void;
  /** The button's test id and text, when the picker chooses something other than table columns. */
  testId?: string;
  buttonLabel?: string;
  /** The table's own columns, each shown unless listed in `hidden`. */
  builtIn?: readonly { id: string; label: string }[];
  hidden?: readonly string[];
  onHiddenChange?: (hidden: string[]) => void;
}

export function ColumnPicker({
  fields,
  chosen,
  onChange,
  testId = "column-picker",
  buttonLabel,
  builtIn,
  hidden = [],
  onHiddenChange,
}: ColumnPickerProps) {
  const { t } = useI18n();
  const [search, setSearch] = useState("");
  const chosenSet = useMemo(() => new Set(chosen), [chosen]);
  const query = search.trim().toLowerCase();
  const match = (key: string) => !query || key.toLowerCase().includes(query);

  const toggle = (id: string) => {
    onChange(chosenSet.has(id) ? chosen.filter((c) => c !== id) : [...chosen, id]);
  };

  const checkbox = (id: string, label: ReactNode) => (
    <label key={id} className="picker-agg">
      <input type="checkbox" checked={chosenSet.has(id)} onChange={() => toggle(id)} data-testid={`column-toggle-${id}`} />
      {label}
    </label>
  );

  const section = (title: string, kind: "config" | "summary") => {
    const entries = fields?.[kind] ?? [];
    const shown = entries.filter((entry) => match(entry.key));
    return (
      <section className="picker-section">
        <h4>
          {title} <span className="count">{entries.length}</span>
        </h4>
        {shown.length === 0 && <div className="muted small">{t("columns.none")}</div>}
        {shown.slice(0, LIMIT_PER_SECTION).map((entry) => (
          <label key={entry.field} className="picker-item" title={entry.field}>
            <input
              type="checkbox"
              checked={chosenSet.has(entry.field)}
              onChange={() => toggle(entry.field)}
              data-testid={`column-toggle-${entry.field}`}
            />
            <span className="mono">{entry.key}</span>
          </label>
        ))}
      </section>
    );
  };

  const metrics = (fields?.metrics ?? []).filter((entry) => match(entry.key));
  return (
    <Popover label={<>{buttonLabel ?? t("columns.button")}{chosen.length ? ` (${chosen.length})` : ""}</>} testId={testId} align="right">
      {() => (
        <div className="column-picker">
          <input
            className="input"
            autoFocus
            placeholder={t("columns.search")}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="column-search"
          />
          {!fields ? (
            <div className="muted small">{t("common.loading")}</div>
          ) : (
            <div className="picker-body">
              {builtIn && onHiddenChange && (
                <section className="picker-section">
                  <h4>{t("columns.builtIn")}</h4>
                  {builtIn.filter((c) => match(c.label)).map((column) => (
                    <label key={column.id} className="picker-item">
                      <input
                        type="checkbox"
                        checked={!hidden.includes(column.id)}
                        onChange={() =>
                          onHiddenChange(hidden.includes(column.id) ? hidden.filter((h) => h !== column.id) : [...hidden, column.id])
                        }
                        data-testid={`column-toggle-${column.id}`}
                      />
                      <span>{column.label}</span>
                    </label>
                  ))}
                </section>
              )}
              {section(t("columns.config"), "config")}
              {section(t("columns.summary"), "summary")}
              <section className="picker-section">
                <h4>
                  {t("columns.metrics")} <span className="count">{fields.metrics.length}</span>
                </h4>
                {metrics.length === 0 && <div className="muted small">{t("columns.none")}</div>}
                {metrics.slice(0, LIMIT_PER_SECTION).map((entry) => (
                  <div key={entry.field} className="picker-item picker-metric">
                    <span className="mono">{entry.key}</span>
                    {METRIC_KINDS.map((kind) => checkbox(metricColumnId(entry.field, kind), kind.slice("metrics.".length)))}
                  </div>
                ))}
              </section>
            </div>
          )}
          {chosen.length > 0 && (
            <button type="button" className="btn btn-small" onClick={() => onChange([])}>
              {t("columns.reset")}
            </button>
          )}
        </div>
      )}
    </Popover>
  );
}
