import { useMemo, useState } from "react";
import type { RunDetail } from "../../api/types";
import { CopyButton } from "../../components/CopyButton";
import { EmptyState } from "../../components/States";
import { useI18n } from "../../i18n/context";
import { formatEnvironmentValue, runCommand, runEnvironmentRest, runGit, runPackages } from "../../lib/environment";
import { formatBytes } from "../../lib/format";
import { filterRows, rowsOf } from "./keyValueRows";
import { KeyValueTable } from "./KeyValueTable";
import { Icon } from "../../components/Icon";

export function EnvironmentTab({ run }: { run: RunDetail }) {
  const { t } = useI18n();
  const [query, setQuery] = useState("");
  const git = runGit(run);
  const command = runCommand(run);
  const packages = useMemo(() => runPackages(run), [run]);
  const system = useMemo(() => rowsOf(runEnvironmentRest(run)), [run]);
  const files = Object.entries(run.files ?? {});

  if (!run.environment && files.length === 0) {
    return <EmptyState testId="environment-empty" icon={<Icon name="gear" size={18} />} title={t("env.none")} hint={t("env.noneHint")} />;
  }
  const q = query.trim().toLowerCase();
  const shownPackages = q ? packages.filter((p) => p.name.toLowerCase().includes(q)) : packages;

  return (
    <div className="environment-tab" data-testid="environment">
      <input className="input" type="search" placeholder={t("env.search")} value={query} onChange={(e) => setQuery(e.target.value)} data-testid="environment-search" />
      <div className="config-columns">
        <section>
          {command && (
            <>
              <h3>{t("env.command")}</h3>
              <div className="run-command">
                <span className="prompt">$</span>
                <code className="mono">{command}</code>
                <CopyButton text={command} />
              </div>
            </>
          )}
          {git && (
            <>
              <h3>{t("env.git")}</h3>
              <table className="kv-table" data-testid="git-table">
                <tbody>
                  <tr>
                    <td className="kv-key">{t("env.commit")}</td>
                    <td className="mono">
                      <span className="row gap-xs">
                        {git.commit ?? "—"}
                        {git.commit && <CopyButton text={git.commit} />}
                      </span>
                    </td>
                  </tr>
                  <tr>
                    <td className="kv-key">{t("env.branch")}</td>
                    <td className="mono">{git.branch ?? "—"}</td>
                  </tr>
                  <tr>
                    <td className="kv-key">{t("env.dirty")}</td>
                    <td>
                      {git.dirty === null ? "—" : git.dirty ? <span className="chip chip-small chip-warn">{t("run.dirty")}</span> : t("env.clean")}
                    </td>
                  </tr>
                  {git.remote && (
                    <tr>
                      <td className="kv-key">{t("env.remote")}</td>
                      <td className="mono">{git.remote}</td>
                    </tr>
                  )}
                </tbody>
              </table>
              {git.diff && (
                <details className="git-diff">
                  <summary>{t("env.diff")}</summary>
                  <pre className="mono">{git.diff}</pre>
                </details>
              )}
            </>
          )}
          <h3>{t("env.system")}</h3>
          <KeyValueTable rows={filterRows(system, query)} testId="system-info-table" emptyText={t("config.noMatch")} format={formatEnvironmentValue} />
          {files.length > 0 && (
            <>
              <h3>{t("env.files")}</h3>
              <table className="kv-table" data-testid="files-table">
                <tbody>
                  {files.map(([name, size]) => (
                    <tr key={name}>
                      <td className="mono kv-key">{name}</td>
                      <td className="mono num">{formatBytes(size)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>
        <section>
          <h3>
            {t("env.packages")} <span className="count">{packages.length}</span>
          </h3>
          {shownPackages.length === 0 ? (
            <div className="muted small kv-empty">{packages.length ? t("config.noMatch") : t("env.noPackages")}</div>
          ) : (
            <table className="kv-table" data-testid="packages-table">
              <tbody>
                {shownPackages.map((p) => (
                  <tr key={p.name}>
                    <td className="mono kv-key">{p.name}</td>
                    <td className="mono">{p.version}</td>
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
