import { useMemo, useState } from "react";
import { Link } from "react-router";
import type { RunItem } from "../../api/types";
import { useI18n } from "../../i18n/context";
import { diffConfigs } from "../../lib/configDiff";
import { formatValue } from "../../lib/format";
import { runHref } from "../../lib/urlState";

export function ConfigDiffTable({ runs, colorOf }: { runs: RunItem[]; colorOf: (id: string) => string }) {
  const { t } = useI18n();
  const [source, setSource] = useState<"config" | "summary">("config");
  const [all, setAll] = useState(false);
  const rows = useMemo(() => diffConfigs(runs.map((r) => r[source]), all), [runs, source, all]);

  return (
    <section className="diff-section" data-testid="config-diff">
      <div className="section-bar">
        <h2>{t("compare.differences")}</h2>
        <div className="segmented" role="group">
          {(["config", "summary"] as const).map((s) => (
            <button key={s} type="button" className={source === s ? "active" : ""} aria-pressed={source === s} onClick={() => setSource(s)} data-testid={`diff-source-${s}`}>
              {s === "config" ? t("config.config") : t("config.summary")}
            </button>
          ))}
        </div>
        <label className="field checkbox">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="diff-show-all" />
          <span>{t("compare.showAllKeys")}</span>
        </label>
      </div>
      {rows.length === 0 ? (
        <div className="muted small kv-empty" data-testid="diff-none">
          {runs.length < 2 ? t("compare.needTwo") : t("compare.noDifferences")}
        </div>
      ) : (
        <div className="diff-scroll">
          <table className="kv-table diff-table" data-testid="config-diff-table">
            <thead>
              <tr>
                <th>{t("kv.key")}</th>
                {runs.map((run) => (
                  <th key={run.id}>
                    <span className="swatch" style={{ background: colorOf(run.id) }} />
                    <Link to={runHref(run.id)}>{run.name}</Link>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key} data-testid="diff-row" data-key={row.key}>
                  <td className="mono kv-key">{row.key}</td>
                  {row.values.map((v, i) => (
                    <td key={runs[i].id} className={`mono${v === undefined ? " muted" : ""}`}>
                      {v === undefined ? "∅" : formatValue(v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
