import { useState } from "react";
import { alertsApi } from "../../api/alerts";
import { api } from "../../api/client";
import type { AlertLevel } from "../../api/types";
import { AlertRow } from "../../components/AlertRow";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { usePolling } from "../../hooks/usePolling";
import { useI18n } from "../../i18n/context";
import "../../styles/alerts.css";

const PAGE_SIZE = 50;
const REFRESH_MS = 15_000;
const LEVELS: AlertLevel[] = ["error", "warn", "info"];

/** Alerts across every run, newest first, filtered by level and project, paged. */
export default function AlertsPage() {
  const { t } = useI18n();
  const [level, setLevel] = useState<AlertLevel | "">("");
  const [project, setProject] = useState("");
  const [offset, setOffset] = useState(0);
  const projects = useAsync("projects", (signal) => api.projects(signal));
  const key = `alerts:${level}:${project}:${offset}`;
  const page = useAsync(key, (signal) => alertsApi.list({ level, project, limit: PAGE_SIZE, offset }, signal));
  usePolling(page.reload, REFRESH_MS, offset === 0);

  const total = page.data?.total ?? 0;
  return (
    <div className="alerts-page" data-testid="alerts-page">
      <div className="alerts-page-head">
        <h2>{t("alerts.pageTitle")}</h2>
        <div className="spacer" />
        <select
          className="mini-select"
          value={level}
          onChange={(e) => {
            setLevel(e.target.value as AlertLevel | "");
            setOffset(0);
          }}
          aria-label={t("alerts.filterLevel")}
          data-testid="alerts-level"
        >
          <option value="">{t("alerts.allLevels")}</option>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {t(`alerts.level.${l}`)}
            </option>
          ))}
        </select>
        <select
          className="mini-select"
          value={project}
          onChange={(e) => {
            setProject(e.target.value);
            setOffset(0);
          }}
          aria-label={t("alerts.filterProject")}
          data-testid="alerts-project"
        >
          <option value="">{t("alerts.allProjects")}</option>
          {(projects.data?.items ?? []).map((p) => (
            <option key={p.project} value={p.project}>
              {p.project}
            </option>
          ))}
        </select>
      </div>
      {page.error && !page.data ? (
        <ErrorState error={page.error} onRetry={page.reload} testId="alerts-error" />
      ) : !page.data ? (
        <LoadingState testId="alerts-loading" />
      ) : page.data.items.length === 0 ? (
        <EmptyState testId="alerts-empty" icon="✓" title={t("alerts.noneAnywhere")} hint={t("alerts.noneHint")} />
      ) : (
        <>
          <ul className="alert-list" data-testid="alerts-list">
            {page.data.items.map((alert) => (
              <AlertRow key={`${alert.id}-${alert.ts}`} alert={alert} showRun />
            ))}
          </ul>
          <div className="alerts-pager">
            <span className="muted">
              {t("alerts.range", { from: offset + 1, to: offset + page.data.items.length, total })}
            </span>
            <button type="button" className="mini-btn" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
              {t("alerts.newer")}
            </button>
            <button
              type="button"
              className="mini-btn"
              disabled={offset + PAGE_SIZE >= total}
              onClick={() => setOffset(offset + PAGE_SIZE)}
            >
              {t("alerts.older")}
            </button>
          </div>
        </>
      )}
    </div>
  );
}
