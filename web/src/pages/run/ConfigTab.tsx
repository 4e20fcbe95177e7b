import { useMemo, useState } from "react";
import type { RunDetail } from "../../api/types";
import { useI18n } from "../../i18n/context";
import { formatNumber } from "../../lib/format";
import { parseJsonNumber } from "../../lib/numbers";
import { filterRows, rowsOf } from "./keyValueRows";
import { KeyValueTable } from "./KeyValueTable";

export function ConfigTab({ run }: { run: RunDetail }) {
  const { t } = useI18n();
  const [query, setQuery] = useState("");
  const config = useMemo(() => rowsOf(run.config), [run.config]);
  const summary = useMemo(() => rowsOf(run.summary), [run.summary]);
  const metrics = useMemo(
    () => Object.entries(run.metrics).sort(([a], [b]) => a.localeCompare(b)),
    [run.metrics],
  );
  const q = query.trim().toLowerCase();
  const shownMetrics = q ? metrics.filter(([k]) => k.toLowerCase().includes(q)) : metrics;

  return (
    <div className="config-tab" data-testid="config">
      <input
        className="input"
        type="search"
        placeholder={t("config.search")}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="config-search"
      />
      <div className="config-columns">
        <section>
          <h3>
            {t("config.config")} <span className="count">{config.length}</span>
          </h3>
          <KeyValueTable rows={filterRows(config, query)} testId="config-table" emptyText={query ? t("config.noMatch") : t("config.noConfig")} />
        </section>
        <section>
          <h3>
            {t("config.summary")} <span className="count">{summary.length}</span>
          </h3>
          <KeyValueTable rows={filterRows(summary, query)} testId="summary-table" emptyText={query ? t("config.noMatch") : t("config.noSummary")} />
          <h3>
            {t("config.metrics")} <span className="count">{metrics.length}</span>
          </h3>
          {shownMetrics.length === 0 ? (
            <div className="muted small kv-empty">{query ? t("config.noMatch") : t("charts.noMetrics")}</div>
          ) : (
            <table className="kv-table" data-testid="metrics-table">
              <thead>
                <tr>
                  <th>{t("kv.key")}</th>
                  <th className="num">last</th>
                  <th className="num">min</th>
                  <th className="num">max</th>
                  <th className="num">step</th>
                  <th className="num">count</th>
                </tr>
              </thead>
              <tbody>
                {shownMetrics.map(([key, m]) => (
                  <tr key={key} data-key={key}>
                    <td className="mono kv-key">{key}</td>
                    <td className="mono num">{m.last === null ? "—" : formatNumber(parseJsonNumber(m.last), 6)}</td>
                    <td className="mono num">{m.min === null ? "—" : formatNumber(parseJsonNumber(m.min), 6)}</td>
                    <td className="mono num">{m.max === null ? "—" : formatNumber(parseJsonNumber(m.max), 6)}</td>
                    <td className="mono num">{m.step ?? "—"}</td>
                    <td className="mono num">{m.count ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </div>
  );
}
