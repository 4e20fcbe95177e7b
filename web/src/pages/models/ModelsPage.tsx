import { useMemo } from "react";
import { Link } from "react-router";
import { artifactsApi, STAGES } from "../../api/artifacts";
import { api } from "../../api/client";
import { RelativeTime } from "../../components/RelativeTime";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { useUrlState } from "../../hooks/useUrlState";
import { useI18n } from "../../i18n/context";
import { modelHref, versionHref } from "../artifacts/links";
import { Pager } from "../artifacts/Pager";
import { StageBadge } from "../artifacts/StageBadge";
import { decodeModelsList, encodeModelsList } from "../artifacts/urlState";
import "../artifacts/artifacts.css";

const PAGE_SIZE = 50;

/** Registered models (artifacts of type model): which version is in production, stage counts. */
export default function ModelsPage() {
  const { t } = useI18n();
  const [state, update] = useUrlState(decodeModelsList, encodeModelsList);
  const offset = (state.page - 1) * PAGE_SIZE;
  const models = useAsync(`models:${state.project ?? ""}:${offset}`, (signal) =>
    artifactsApi.models({ project: state.project, limit: PAGE_SIZE, offset }, signal),
  );
  const projects = useAsync("projects", (signal) => api.projects(signal));
  const projectNames = useMemo(() => {
    const names = new Set((projects.data?.items ?? []).map((p) => p.project));
    for (const item of models.data?.items ?? []) names.add(item.project);
    if (state.project) names.add(state.project);
    return [...names].sort();
  }, [projects.data, models.data, state.project]);
  const total = models.data?.total ?? 0;

  return (
    <div className="artifacts-page" data-testid="models-page">
      <div className="artifacts-head">
        <h2>{t("models.title")}</h2>
        {models.data && (
          <span className="count" data-testid="models-count" data-total={total}>
            {total}
          </span>
        )}
        <div className="spacer" />
        <select
          className="input"
          value={state.project ?? ""}
          onChange={(e) => update({ project: e.target.value || null, page: 1 })}
          aria-label={t("artifacts.project")}
          data-testid="models-project"
        >
          <option value="">{t("artifacts.allProjects")}</option>
          {projectNames.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      {models.error && !models.data ? (
        <ErrorState error={models.error} onRetry={models.reload} testId="models-error" />
      ) : !models.data ? (
        <LoadingState testId="models-loading" />
      ) : models.data.items.length === 0 ? (
        <EmptyState
          testId="models-empty"
          title={t("models.none")}
          hint={
            <>
              {t("models.noneHint")}
              <pre className="code-sample">{`run.log_model("checkpoints/best.pt", "resnet18", aliases=["candidate"])`}</pre>
            </>
          }
        />
      ) : (
        <>
          <div className="table-card">
            <table className="kv-table" data-testid="models-table">
              <thead>
                <tr>
                  <th>{t("models.model")}</th>
                  <th>{t("artifacts.project")}</th>
                  <th>{t("models.production")}</th>
                  <th>{t("models.stages")}</th>
                  <th>{t("artifacts.latest")}</th>
                  <th className="num">{t("artifacts.versions")}</th>
                  <th>{t("artifacts.updated")}</th>
                </tr>
              </thead>
              <tbody>
                {models.data.items.map((m) => (
                  <tr key={`${m.project}/${m.name}`} data-testid="model-row" data-project={m.project} data-name={m.name}>
                    <td>
                      <Link className="strong" to={modelHref(m.project, m.name)} data-testid="model-link">
                        {m.name}
                      </Link>
                      {m.description && <div className="muted small ellipsis">{m.description}</div>}
                    </td>
                    <td className="muted">{m.project}</td>
                    <td data-testid="model-production" data-version={m.production_version ?? ""}>
                      {m.production_version !== null ? (
                        <Link className="mono" to={versionHref(m.project, m.name, m.production_version)}>
                          v{m.production_version}
                        </Link>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>
                      <span className="tags">
                        {STAGES.filter((s) => (m.stages[s] ?? 0) > 0).map((s) => (
                          <span key={s} className="stage-count">
                            <StageBadge stage={s} /> {m.stages[s]}
                          </span>
                        ))}
                      </span>
                    </td>
                    <td>
                      <Link className="mono" to={versionHref(m.project, m.name, m.latest_version)}>
                        v{m.latest_version}
                      </Link>
                    </td>
                    <td className="num">{m.version_count}</td>
                    <td className="muted">
                      <RelativeTime ts={m.updated_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={state.page} pageSize={PAGE_SIZE} shown={models.data.items.length} total={total} onPage={(p) => update({ page: p }, { push: true })} />
        </>
      )}
    </div>
  );
}
