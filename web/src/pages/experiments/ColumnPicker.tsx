import { useMemo, useState } from "react";
import type { FieldsResponse } from "../../api/types";
import { Popover } from "../../components/Popover";
import { useI18n } from "../../i18n/context";
import { fieldId, METRIC_KINDS, type FieldKind } from "./fields";

const LIMIT_PER_SECTION = 200;

export interface ColumnPickerProps {
  fields: FieldsResponse | undefined;
  chosen: readonly string[];
  onChange: (chosen: string[]) => void;
}

export function ColumnPicker({ fields, chosen, onChange }: ColumnPickerProps) {
  const { t } = useI18n();
  const [search, setSearch] = useState("");
  const chosenSet = useMemo(() => new Set(chosen), [chosen]);
  const query = search.trim().toLowerCase();
  const match = (key: string) => !query || key.toLowerCase().includes(query);

  const toggle = (kind: FieldKind, key: string) => {
    const id = fieldId({ kind, key });
    onChange(chosenSet.has(id) ? chosen.filter((c) => c !== id) : [...chosen, id]);
  };

  const section = (title: string, kind: "config" | "summary", keys: string[]) => {
    const shown = keys.filter(match);
    return (
      <section className="picker-section">
        <h4>
          {title} <span className="count">{keys.length}</span>
        </h4>
        {shown.length === 0 && <div className="muted small">{t("columns.none")}</div>}
        {shown.slice(0, LIMIT_PER_SECTION).map((key) => (
          <label key={key} className="picker-item">
            <input
              type="checkbox"
              checked={chosenSet.has(fieldId({ kind, key }))}
              onChange={() => toggle(kind, key)}
              data-testid={`column-toggle-${kind}:${key}`}
            />
            <span className="mono">{key}</span>
          </label>
        ))}
      </section>
    );
  };

  const metrics = (fields?.metrics ?? []).filter(match);
  return (
    <Popover label={<>{t("columns.button")}{chosen.length ? ` (${chosen.length})` : ""}</>} testId="column-picker" align="right">
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
              {section(t("columns.config"), "config", fields.config)}
              {section(t("columns.summary"), "summary", fields.summary)}
              <section className="picker-section">
                <h4>
                  {t("columns.metrics")} <span className="count">{fields.metrics.length}</span>
                </h4>
                {metrics.length === 0 && <div className="muted small">{t("columns.none")}</div>}
                {metrics.slice(0, LIMIT_PER_SECTION).map((key) => (
                  <div key={key} className="picker-item picker-metric">
                    <span className="mono">{key}</span>
                    {METRIC_KINDS.map((kind) => (
                      <label key={kind} className="picker-agg">
                        <input
                          type="checkbox"
                          checked={chosenSet.has(fieldId({ kind, key }))}
                          onChange={() => toggle(kind, key)}
                          data-testid={`column-toggle-${kind}:${key}`}
                        />
                        {kind.slice("metrics.".length)}
                      </label>
                    ))}
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
